//! The command line shared by `stallcheck` and `cargo stallcheck`.
//!
//! Exit codes: 0 = nothing at or above `--deny`; 1 = findings at or above it
//! (or files that could not be analysed, unless `--deny error`); 2 = usage
//! error, unreadable input or no Rust source. Every error is one line,
//! `error: ...`, never a backtrace.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::baseline::Baseline;
use crate::color;
use crate::driver::{self, Options};
use crate::evidence;
use crate::finding::{InputError, Severity};
use crate::fix;
use crate::fix_safety;
use crate::invocation;
use crate::output::{self, Format, RenderOptions};
use crate::rules;

/// `--jobs` above this is a usage error (see [`driver::MAX_JOBS`]).
const MAX_JOBS: i64 = driver::MAX_JOBS as i64;

const AFTER_HELP: &str = "\
Exit codes:
  0  nothing at or above --deny
  1  findings at or above --deny (files that could not be analysed count as warnings)
  2  usage error, unreadable input, broken manifest, bad configuration, or no Rust
     source found

Configuration: --config FILE, else the nearest stallcheck.toml,
[package.metadata.stallcheck] or [workspace.metadata.stallcheck] from the
analysed root up to the workspace root. Flags win.

Fixing: --fix rewrites in place the findings marked `fix available` (blocking
calls written directly in async code, when the target's tokio dependency has
the feature the async twin needs); --fix --diff prints the rewrites as a
unified diff and writes nothing. Fixes that may change behaviour are unsafe
(thread::sleep -> tokio::time::sleep outside #[tokio::main]/#[tokio::test]:
the runtime may have no timers) and need --unsafe-fixes too. A rewrite that
would hold a lock across its new .await is never written.

Adopting on a codebase with existing findings:
  stallcheck --write-baseline stallcheck-baseline.json   # accept today's findings
  stallcheck --baseline stallcheck-baseline.json         # report only new ones
Fingerprints use rule, path, enclosing function and callee, not line numbers.";

#[derive(Parser, Debug)]
#[command(
    name = "stallcheck",
    version,
    about = "Finds what stalls an async executor: blocking calls and sync locks inside async Rust",
    long_about = "Finds what stalls an async executor: blocking calls, sync locks and nested \
runtimes inside async Rust code, from source alone (nothing is built or run).\n\n\
PATH is a crate or workspace directory, a Cargo.toml, a directory of .rs files \
without a manifest, or one .rs file.",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every rule with its default severity and summary
    Rules,
    /// Print a rule's documentation
    Explain {
        /// Rule id, e.g. blocking-fs
        rule: String,
    },
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Crate or workspace directory, Cargo.toml, directory of .rs files, or one .rs file
    /// (a directory inside a package lints that package, as cargo does)
    #[arg(
        value_name = "PATH",
        default_value = ".",
        conflicts_with = "manifest_path"
    )]
    path: PathBuf,
    /// The Cargo.toml to lint, as cargo's flag (same as giving it as PATH)
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Lint only this package of the workspace, `name` or `name@version` (repeatable)
    #[arg(long, short = 'p', value_name = "SPEC")]
    package: Vec<String>,
    /// Lint every member of the workspace, wherever PATH is
    #[arg(long)]
    workspace: bool,
    /// Leave this package of the workspace out (repeatable; --exclude GLOB is for files)
    #[arg(long, value_name = "SPEC")]
    exclude_package: Vec<String>,
    /// Accepted as cargo's flag (rust-analyzer's `check.command` passes it); stallcheck
    /// always goes on past a file it cannot analyse
    #[arg(long)]
    keep_going: bool,
    /// Exit 0 even when findings are reported (usage errors still exit 2)
    #[arg(long)]
    exit_zero: bool,
    /// Do not lint tests, even when the configuration says include-tests = true
    #[arg(long, conflicts_with = "include_tests")]
    no_include_tests: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Diagnostics in cargo's shapes, as cargo's flag: json = one cargo `compiler-message`
    /// per line then `build-finished` (what rust-analyzer reads), short = one
    /// `path:line:col: level[rule]: message` line per finding, human = --format human
    /// [cannot be used with --format]
    #[arg(long, value_enum, value_name = "FMT", conflicts_with = "format")]
    message_format: Option<MessageFormatArg>,
    /// Lowest severity that makes the exit code 1 (every finding is printed regardless)
    #[arg(long, value_enum, default_value_t = SeverityArg::Warning, value_name = "SEVERITY")]
    deny: SeverityArg,
    /// Also lint #[cfg(test)] modules, #[test] functions and the tests/, benches/ targets
    #[arg(long, visible_alias = "all-targets")]
    include_tests: bool,
    /// Report only this rule (repeatable)
    #[arg(long = "rule", value_name = "ID", value_parser = rule_id)]
    rules: Vec<String>,
    /// Never report this rule (repeatable)
    #[arg(long = "skip-rule", value_name = "ID", value_parser = rule_id)]
    skip_rules: Vec<String>,
    /// Do not report files matching this glob, relative to the root (repeatable; a glob
    /// matching a directory excludes what is under it)
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Worker threads, 1 to 256 [default: one per core]
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS))]
    jobs: Option<u16>,
    /// Print findings only, without the summary line
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Colour human output [default: CARGO_TERM_COLOR, else auto: a terminal, unless NO_COLOR
    /// is set; CLICOLOR_FORCE colours a pipe too]
    #[arg(long, value_enum, value_name = "WHEN")]
    color: Option<ColorArg>,
    /// Configuration file [default: the nearest stallcheck.toml or manifest table, up to the
    /// workspace root]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore every configuration file and manifest table
    #[arg(long)]
    no_config: bool,
    /// Report only findings not recorded in this baseline file (see --write-baseline)
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Record every current finding in FILE (line-independent fingerprints) and exit 0
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Rewrite the mechanically safe findings in place (std::thread::sleep(d) to
    /// tokio::time::sleep(d).await, std::fs::read(p) to tokio::fs::read(p).await, ...),
    /// then report the findings that remain
    #[arg(long, conflicts_with = "write_baseline")]
    fix: bool,
    /// With --fix: print the rewrites as a unified diff on stdout instead of writing them
    #[arg(long, requires = "fix")]
    diff: bool,
    /// With --fix: also apply the unsafe fixes (those that may change behaviour,
    /// each finding's help says why)
    #[arg(long, requires = "fix")]
    unsafe_fixes: bool,
    /// Runtime evidence (repeatable): a stallcheck-runtime JSON report, a harness.json, or a
    /// directory of them; their `stall_sites` are joined to the findings
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "write_baseline")]
    evidence: Vec<PathBuf>,
    /// Order of findings: by location, or by measured blocked time (needs --evidence)
    #[arg(long, value_enum, default_value_t = SortArg::Location, requires = "evidence")]
    sort: SortArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SortArg {
    Location,
    Cost,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
}

/// cargo's `--message-format` values that make sense for a linter.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum MessageFormatArg {
    Human,
    Short,
    Json,
    /// json, with each diagnostic's `rendered` in the short form
    JsonDiagnosticShort,
    /// json, with each diagnostic's `rendered` in colour (ANSI)
    JsonDiagnosticRenderedAnsi,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn rule_id(id: &str) -> Result<String, String> {
    match rules::find(id) {
        Some(rule) => Ok(rule.id.to_string()),
        None => Err(format!(
            "unknown rule `{id}` ({})",
            invocation::rules_hint()
        )),
    }
}

/// Entry point of the `stallcheck` binary.
pub fn main() -> ExitCode {
    install_panic_hook();
    run(std::env::args_os())
}

/// Entry point of `cargo-stallcheck`: cargo runs it as
/// `cargo-stallcheck stallcheck [ARGS]`, so the subcommand name is dropped.
pub fn cargo_main() -> ExitCode {
    install_panic_hook();
    invocation::set_cargo_subcommand();
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|arg| arg == "stallcheck") {
        args.remove(1);
    }
    if let Some(first) = args.first_mut() {
        *first = OsString::from("cargo stallcheck");
    }
    run(args)
}

/// Parses `args` (program name first), runs, prints, and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // The help's examples name the command the user typed.
    let command = Cli::command().after_help(AFTER_HELP.replace(
        "  stallcheck --",
        &format!("  {} --", invocation::command()),
    ));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Some(Command::Rules) => list_rules(),
        Some(Command::Explain { rule }) => explain(&rule),
        None => check(&cli.check),
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let code = check_inner(args);
    if args.exit_zero && code == ExitCode::from(1) {
        return ExitCode::SUCCESS;
    }
    code
}

fn check_inner(args: &CheckArgs) -> ExitCode {
    let path = args
        .manifest_path
        .clone()
        .unwrap_or_else(|| args.path.clone());
    let args = &CheckArgs {
        path,
        manifest_path: None,
        package: args.package.clone(),
        exclude_package: args.exclude_package.clone(),
        rules: args.rules.clone(),
        skip_rules: args.skip_rules.clone(),
        exclude: args.exclude.clone(),
        config: args.config.clone(),
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        evidence: args.evidence.clone(),
        ..*args
    };
    let options = Options {
        include_tests: args.include_tests,
        skip_tests: args.no_include_tests,
        selection: crate::workspace::Selection {
            packages: args.package.clone(),
            workspace: args.workspace,
            exclude_packages: args.exclude_package.clone(),
        },
        jobs: args.jobs.map(usize::from),
        only_rules: args.rules.clone(),
        skip_rules: args.skip_rules.clone(),
        exclude: args.exclude.clone(),
        config: args.config.clone(),
        no_config: args.no_config,
        source_overrides: Default::default(),
    };
    // Read the baseline and the evidence before the analysis: a bad file
    // fails fast.
    let baseline = match args.baseline.as_deref().map(Baseline::read).transpose() {
        Ok(baseline) => baseline,
        Err(message) => return fatal(&message),
    };
    let sites = match evidence::read(&args.evidence) {
        Ok(sites) => sites,
        Err(message) => return fatal(&message),
    };
    let mut report = match driver::run(&args.path, &options) {
        Ok(report) => report,
        Err(err) => return fatal(&err.0),
    };
    if let Some(path) = &args.write_baseline {
        return write_baseline(&report, path);
    }
    let mut hidden = baseline
        .as_ref()
        .map(|baseline| filter_by_baseline(&mut report, baseline));
    let deny = match args.deny {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Note => Severity::Note,
    };
    if args.fix {
        // Only what is reported is fixed: the baseline has filtered already.
        let mut plan = fix::plan(&report.root, &report.findings, args.unsafe_fixes);
        if let Err(err) = reanalyse_fixed_text(&args.path, &options, &report, &mut plan) {
            return fatal(&err.0);
        }
        if args.diff {
            return show_fixes(report, plan, deny, args.quiet);
        }
        let (written, errors) = write_fixes(&plan);
        if !args.quiet {
            eprintln!(
                "stallcheck: fixed {} in {}",
                plural(written.iter().map(|file| file.fixes).sum(), "finding"),
                plural(written.len(), "file")
            );
        }
        if !written.is_empty() {
            // What remains, at its new position, and anything a rewrite changed.
            (report, hidden) = match relint(&args.path, &options, baseline.as_ref()) {
                Ok(relinted) => relinted,
                Err(err) => return fatal(&err.0),
            };
        }
        report.errors.extend(errors);
    }
    let render_options = RenderOptions {
        color: match use_color(args.color) {
            Ok(color) => color,
            Err(message) => return fatal(&message),
        },
        quiet: args.quiet,
    };
    let format = match args.message_format {
        Some(message_format) => cargo_format(message_format),
        None => format(args.format),
    };
    let cwd = std::env::current_dir()
        .and_then(|cwd| cwd.canonicalize())
        .ok();
    let mut report = output::for_display(report, format, cwd.as_deref());
    let joined = (!args.evidence.is_empty())
        .then(|| join_evidence(&mut report, &sites, args.sort == SortArg::Cost, format));
    let sources = output::disk_sources(&report.root);
    let mut text = output::render(format, &report, render_options, &sources);
    if let Some(joined) = &joined {
        text = with_evidence(format, text, &report, joined, args.quiet);
    }
    if let Some(hidden) = hidden {
        text = with_baseline_count(format, text, &report, hidden, args.quiet);
    }
    let code = exit_code(&report, deny);
    if let Format::CargoJson(_) = format {
        // As cargo ends its stream; `success` is whether the run exits 0.
        let success = code == ExitCode::SUCCESS || args.exit_zero;
        text.push_str(&output::build_finished(success));
    }
    write_stdout(&text);
    code
}

fn exit_code(report: &driver::Report, deny: Severity) -> ExitCode {
    if output::fails(report, deny) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Analyses the fixed texts (read in place of their files) before
/// anything is written, and drops the files whose rewrite would create a
/// new hazard (see [`fix_safety::refuse_new_hazards`]).
fn reanalyse_fixed_text(
    path: &Path,
    options: &Options,
    report: &driver::Report,
    plan: &mut fix::Plan,
) -> Result<(), driver::FatalError> {
    if plan.files.is_empty() {
        return Ok(());
    }
    let overrides = plan
        .files
        .iter()
        .map(|file| (file.file.clone(), file.fixed.clone()))
        .collect();
    let fixed = driver::run(
        path,
        &Options {
            source_overrides: overrides,
            ..options.clone()
        },
    )?;
    fix_safety::refuse_new_hazards(plan, &report.findings, &fixed.findings);
    Ok(())
}

/// Lints again after `--fix` wrote files; returns the report and how many
/// findings the baseline hid.
fn relint(
    path: &Path,
    options: &Options,
    baseline: Option<&Baseline>,
) -> Result<(driver::Report, Option<usize>), driver::FatalError> {
    let mut report = driver::run(path, options)?;
    let hidden = baseline.map(|baseline| filter_by_baseline(&mut report, baseline));
    Ok((report, hidden))
}

/// Keeps the findings the baseline does not record; returns how many it hid.
fn filter_by_baseline(report: &mut driver::Report, baseline: &Baseline) -> usize {
    let filtered = baseline.filter(std::mem::take(&mut report.findings));
    report.findings = filtered.new;
    filtered.hidden
}

/// `--fix --diff`: the rewrites as a diff on stdout, nothing written. The
/// exit code is that of the unchanged code (and of files that could not be
/// fixed).
fn show_fixes(
    mut report: driver::Report,
    plan: fix::Plan,
    deny: Severity,
    quiet: bool,
) -> ExitCode {
    let diff: String = plan.files.iter().map(fix::FileFix::diff).collect();
    write_stdout(&diff);
    for error in &plan.errors {
        eprintln!("stallcheck: {}: {}", error.path, error.message);
    }
    if !quiet {
        eprintln!(
            "stallcheck: would fix {} in {} (nothing written)",
            plural(plan.fixes(), "finding"),
            plural(plan.files.len(), "file")
        );
    }
    report.errors.extend(plan.errors);
    exit_code(&report, deny)
}

/// Writes each fixed file; returns those written and the files not fixed.
fn write_fixes(plan: &fix::Plan) -> (Vec<&fix::FileFix>, Vec<InputError>) {
    let mut written = Vec::new();
    let mut errors = plan.errors.clone();
    for file in &plan.files {
        match file.write() {
            Ok(()) => written.push(file),
            Err(error) => errors.push(error),
        }
    }
    (written, errors)
}

/// Writes every finding of `report` to `path` as a baseline and says so.
fn write_baseline(report: &driver::Report, path: &Path) -> ExitCode {
    let baseline = Baseline::from_findings(&report.findings);
    if let Err(message) = baseline.write(path) {
        return fatal(&message);
    }
    let mut text = format!(
        "stallcheck: wrote a baseline of {} to {}\n",
        plural(baseline.fingerprints.len(), "finding"),
        path.display()
    );
    // A file that did not parse contributed no findings: once it parses,
    // its findings will all look new, which the user should expect.
    if !report.errors.is_empty() {
        text.push_str(&format!(
            "stallcheck: {} not analysed, so not recorded\n",
            plural(report.errors.len(), "input error")
        ));
    }
    write_stdout(&text);
    ExitCode::SUCCESS
}

/// Says how many findings the baseline hid: in the human summary line
/// (`stallcheck: 1 warning; 4 hidden by baseline; ...`), as
/// `summary.baseline_hidden` in JSON, and on stderr for SARIF and GitHub,
/// whose stdout is read by machines with no place for it.
fn with_baseline_count(
    format: Format,
    text: String,
    report: &driver::Report,
    hidden: usize,
    quiet: bool,
) -> String {
    let note = format!("{hidden} hidden by baseline");
    match format {
        Format::Human | Format::Short if quiet => text,
        Format::Human | Format::Short => insert_into_summary(text, &note),
        Format::Json => {
            // The rendered text may carry more than the report (evidence).
            let mut value =
                serde_json::from_str(&text).unwrap_or_else(|_| output::json_value(report));
            value["summary"]["baseline_hidden"] = serde_json::json!(hidden);
            let mut text = serde_json::to_string_pretty(&value).unwrap_or(text);
            text.push('\n');
            text
        }
        Format::Sarif | Format::Github | Format::CargoJson(_) => {
            if !quiet {
                eprintln!("stallcheck: {note}");
            }
            text
        }
    }
}

/// `--evidence`: joins the runtime's sites to the findings, orders them by
/// cost when asked, and (human output) adds the `observed at run time` notes.
fn join_evidence(
    report: &mut driver::Report,
    sites: &[evidence::Site],
    by_cost: bool,
    format: Format,
) -> evidence::Join {
    let mut joined = evidence::join(&report.findings, sites, &report.paths);
    if by_cost {
        evidence::sort_by_cost(&mut report.findings, &mut joined);
    }
    if matches!(format, Format::Human | Format::CargoJson(_)) {
        evidence::add_notes(&mut report.findings, &joined);
    }
    joined
}

/// Puts the evidence into the rendered output: JSON `findings[].evidence`
/// and `seen_at_run_time`, SARIF result and run properties, and in human
/// output the blind spots after the findings, before the summary line.
fn with_evidence(
    format: Format,
    text: String,
    report: &driver::Report,
    joined: &evidence::Join,
    quiet: bool,
) -> String {
    let pretty = |value: &serde_json::Value| {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        text
    };
    match format {
        Format::Json => {
            let mut value = output::json_value(report);
            evidence::add_to_json(&mut value, joined);
            pretty(&value)
        }
        Format::Sarif => {
            let mut value = output::sarif_value(report);
            evidence::add_to_sarif(&mut value, joined);
            pretty(&value)
        }
        Format::Human => {
            let blind_spots = evidence::render_unmatched(joined);
            if quiet {
                return text + &blind_spots;
            }
            let body = text.trim_end_matches('\n');
            let summary_start = body.rfind('\n').map_or(0, |at| at + 1);
            let mut text = text;
            text.insert_str(summary_start, &blind_spots);
            text
        }
        Format::Github | Format::Short | Format::CargoJson(_) => text,
    }
}

/// The summary is the last line, `stallcheck: COUNTS; FILES ...`: the note
/// goes right after the counts.
fn insert_into_summary(mut text: String, note: &str) -> String {
    let body = text.trim_end_matches('\n');
    let summary_start = body.rfind('\n').map_or(0, |at| at + 1);
    match body[summary_start..].find("; ") {
        Some(at) => text.insert_str(summary_start + at, &format!("; {note}")),
        None => {
            text.truncate(body.len());
            text.push_str(&format!("; {note}\n"));
        }
    }
    text
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn format(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    }
}

/// `--color`, else the environment, as cargo decides (see [`color`]).
fn use_color(arg: Option<ColorArg>) -> Result<bool, String> {
    let flag = arg.map(|arg| match arg {
        ColorArg::Auto => color::When::Auto,
        ColorArg::Always => color::When::Always,
        ColorArg::Never => color::When::Never,
    });
    let env = |name: &str| std::env::var_os(name);
    color::decide(flag, env, std::io::stdout().is_terminal())
}

fn cargo_format(arg: MessageFormatArg) -> Format {
    match arg {
        MessageFormatArg::Human => Format::Human,
        MessageFormatArg::Short => Format::Short,
        MessageFormatArg::Json => Format::CargoJson(output::Rendered::Human),
        MessageFormatArg::JsonDiagnosticShort => Format::CargoJson(output::Rendered::Short),
        MessageFormatArg::JsonDiagnosticRenderedAnsi => {
            Format::CargoJson(output::Rendered::HumanAnsi)
        }
    }
}

fn list_rules() -> ExitCode {
    let width = rules::ALL
        .iter()
        .map(|rule| rule.id.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for rule in rules::ALL {
        text.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            rule.id,
            rule.default_severity.as_str(),
            rule.summary
        ));
    }
    text.push_str(&format!(
        "\n`{} explain RULE` prints a rule's documentation.\n",
        invocation::command()
    ));
    write_stdout(&text);
    ExitCode::SUCCESS
}

fn explain(id: &str) -> ExitCode {
    match rules::find(id) {
        Some(rule) => {
            write_stdout(&format!(
                "{} (default severity: {})\n\n{}\n",
                rule.id,
                rule.default_severity.as_str(),
                rule.doc().trim_end()
            ));
            ExitCode::SUCCESS
        }
        None => fatal(&format!(
            "unknown rule `{id}` ({})",
            invocation::rules_hint()
        )),
    }
}

fn fatal(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Writes to stdout; a closed pipe (`stallcheck | head`) is not an error.
fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// A panic on a worker is caught by the driver and reported as an input
/// error for that file, so it prints nothing here; a panic anywhere else
/// prints one line instead of a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let on_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("stallcheck-worker-"));
        if on_worker {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        let location = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{location}: {message} (please report it)");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn baseline_count_goes_after_the_counts_of_the_summary_line() {
        let text = "finding\n\nstallcheck: 1 warning; 2 files (9 lines) read in 0.01s\n";
        assert_eq!(
            insert_into_summary(text.to_string(), "4 hidden by baseline"),
            "finding\n\nstallcheck: 1 warning; 4 hidden by baseline; 2 files (9 lines) read in 0.01s\n"
        );
    }

    #[test]
    fn baseline_count_ends_a_summary_line_without_sections() {
        assert_eq!(
            insert_into_summary(
                "stallcheck: no findings\n".to_string(),
                "4 hidden by baseline"
            ),
            "stallcheck: no findings; 4 hidden by baseline\n"
        );
    }
}
