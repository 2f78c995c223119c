//! `cargo stallcheck [OPTIONS] [PATH]`: the same command as `stallcheck`,
//! run by cargo as `cargo-stallcheck stallcheck [OPTIONS] [PATH]`.

fn main() -> std::process::ExitCode {
    stallcheck_lint::cli::cargo_main()
}
