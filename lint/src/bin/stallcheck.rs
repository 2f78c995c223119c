//! `stallcheck [OPTIONS] [PATH]`: see `stallcheck --help`.

fn main() -> std::process::ExitCode {
    stallcheck_lint::cli::main()
}
