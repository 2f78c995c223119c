//! Configuration: `--config FILE`, else the nearest of `stallcheck.toml`,
//! `[package.metadata.stallcheck]` and `[workspace.metadata.stallcheck]`
//! from the analysed root up to the workspace root (the candidates are
//! found by `workspace::discover`, which knows where that root is; globs in
//! `exclude` stay relative to the file or manifest that wrote them).
//!
//! ```toml
//! include-tests = false
//! exclude = ["fixtures/**", "src/generated/*.rs"]
//! # Larger files are reported as not read (bytes, or "512 KiB", "16 MiB").
//! max-file-size = "8 MiB"
//!
//! [rules]
//! blocking-fs = "error"        # or "warning", "note", "off"
//! sync-lock-in-async = "off"
//!
//! [blocking]
//! extra = [{ path = "mycrate::db::query", rule = "blocking-client" }]
//! allow = ["std::fs::metadata"]
//!
//! [context]
//! # Closures passed to these run on the executor: async context.
//! executor-callbacks = ["myrt::spawn_local_fn", "mystream::Stream::from_producer"]
//! # Closures passed to these run off the executor, like `spawn_blocking`'s.
//! offload = ["mycrate::util::run_blocking"]
//! ```
//!
//! Unknown keys and unknown rule ids are errors naming the file and the key:
//! a typo must not silently turn a rule back on. So is a `[context]` entry
//! that is not a `::`-path.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules;

/// The name looked up at the target root.
pub const FILE_NAME: &str = "stallcheck.toml";

/// `max-file-size` when none is configured: far above hand-written code
/// (the largest files of the registry's popular crates are under 1 MiB),
/// low enough that a generated blob cannot take gigabytes of memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 << 20;

/// A configuration file larger than this is not one: it is not read.
const MAX_CONFIG_FILE_SIZE: u64 = 1 << 20;

/// A validated configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Where it came from (a file path or a manifest table), for messages.
    pub source: String,
    /// The directory its `exclude` globs are relative to, when it is not
    /// the analysed root (a `stallcheck.toml` found above a member).
    pub base: Option<std::path::PathBuf>,
    /// Per-rule level, keyed by rule id.
    pub rule_levels: BTreeMap<&'static str, RuleLevel>,
    pub include_tests: Option<bool>,
    pub exclude: Vec<String>,
    /// `max-file-size` in bytes.
    pub max_file_size: Option<u64>,
    /// `blocking.extra`: (path, rule id) pairs added to the catalog.
    pub blocking_extra: Vec<(String, &'static str)>,
    /// `blocking.allow`: paths (and everything under them) never reported.
    pub blocking_allow: Vec<String>,
    /// `context.executor-callbacks`: calls whose closure arguments are async context.
    pub executor_callbacks: Vec<String>,
    /// `context.offload`: calls whose closure arguments run off the executor.
    pub offload: Vec<String>,
}

/// What `[rules]` says about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    Severity(Severity),
}

// `expecting`: serde would otherwise name these types in its messages
// ("expected struct RawConfig"), which means nothing to a user.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
struct RawConfig {
    /// Values are checked by hand so that a wrong one names its rule.
    #[serde(default)]
    rules: BTreeMap<String, serde_json::Value>,
    include_tests: Option<bool>,
    #[serde(default)]
    exclude: Vec<String>,
    /// Bytes, or a string with a unit; checked by hand like `rules`.
    max_file_size: Option<serde_json::Value>,
    #[serde(default)]
    blocking: RawBlocking,
    #[serde(default)]
    context: RawContext,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
struct RawContext {
    #[serde(default, deserialize_with = "executor_callback_paths")]
    executor_callbacks: Vec<String>,
    #[serde(default, deserialize_with = "offload_paths")]
    offload: Vec<String>,
}

// Checked while deserializing, so that a TOML error carries the position of
// the bad entry; the key is named because serde's error does not say it.
fn executor_callback_paths<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    call_paths(deserializer, "context.executor-callbacks")
}

fn offload_paths<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    call_paths(deserializer, "context.offload")
}

fn call_paths<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    key: &str,
) -> Result<Vec<String>, D::Error> {
    let paths = Vec::<String>::deserialize(deserializer)?;
    // The catalog's own check (one definition of a valid path).
    let mut probe = crate::catalog::Catalog::default();
    for path in &paths {
        probe
            .add_executor_callback(path)
            .map_err(|err| serde::de::Error::custom(format!("{key}: {err}")))?;
    }
    Ok(paths)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawBlocking {
    #[serde(default)]
    extra: Vec<RawExtra>,
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { path = \"mycrate::db::query\", rule = \"blocking-client\" }"
)]
struct RawExtra {
    path: String,
    rule: String,
}

/// Reads and validates a `stallcheck.toml`-shaped file.
pub fn load_file(path: &Path) -> Result<Config, String> {
    let source = path.display().to_string();
    let bytes =
        crate::input::read_regular_file(path, MAX_CONFIG_FILE_SIZE, "the configuration limit")
            .map_err(|not_read| format!("cannot read configuration `{source}`: {}", not_read.0))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("cannot read configuration `{source}`: not valid UTF-8"))?;
    parse_toml(&text, &source)
}

/// Parses TOML text; `source` names the file in error messages.
pub fn parse_toml(text: &str, source: &str) -> Result<Config, String> {
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let position = err
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or_default();
        invalid(source, &position, err.message().trim())
    })?;
    validate(raw, source)
}

/// Parses a manifest's `[*.metadata.stallcheck]` table (as `cargo metadata` gives it).
pub fn from_metadata(value: &serde_json::Value, source: &str) -> Result<Config, String> {
    let raw = RawConfig::deserialize(value).map_err(|err| invalid(source, "", err))?;
    validate(raw, source)
}

fn validate(raw: RawConfig, source: &str) -> Result<Config, String> {
    let mut rule_levels = BTreeMap::new();
    for (id, level) in &raw.rules {
        let rule = known_rule(id, source, "[rules]")?;
        let parsed = match level.as_str() {
            Some("off") => Some(RuleLevel::Off),
            Some(text) => Severity::parse(text).map(RuleLevel::Severity),
            None => None,
        };
        let level = parsed.ok_or_else(|| {
            invalid(
                source,
                "",
                format!(
                    "[rules] {id} = {level}: expected \"error\", \"warning\", \"note\" or \"off\""
                ),
            )
        })?;
        rule_levels.insert(rule.id, level);
    }
    let mut blocking_extra = Vec::new();
    for extra in raw.blocking.extra {
        let rule = known_rule(&extra.rule, source, "blocking.extra")?;
        blocking_extra.push((extra.path, rule.id));
    }
    let max_file_size = raw
        .max_file_size
        .as_ref()
        .map(|value| {
            parse_size(value).ok_or_else(|| {
                invalid(
                    source,
                    "",
                    format!("max-file-size = {value}: expected a number of bytes or a size such as \"16 MiB\""),
                )
            })
        })
        .transpose()?;
    Ok(Config {
        source: source.to_string(),
        base: None,
        rule_levels,
        include_tests: raw.include_tests,
        exclude: raw.exclude,
        max_file_size,
        blocking_extra,
        blocking_allow: raw.blocking.allow,
        executor_callbacks: raw.context.executor_callbacks,
        offload: raw.context.offload,
    })
}

fn known_rule(id: &str, source: &str, key: &str) -> Result<&'static rules::Rule, String> {
    rules::find(id).ok_or_else(|| {
        invalid(
            source,
            "",
            format!(
                "{key}: unknown rule `{id}` ({})",
                crate::invocation::rules_hint()
            ),
        )
    })
}

/// The one shape of every configuration error:
/// ``invalid configuration `SOURCE`[:LINE:COLUMN]: DETAIL``, where SOURCE is
/// a file or a manifest table (`/w/Cargo.toml [package.metadata.stallcheck]`).
pub fn invalid(source: &str, position: &str, detail: impl std::fmt::Display) -> String {
    format!("invalid configuration `{source}`{position}: {detail}")
}

/// `1048576`, `"1048576"`, `"512 KiB"`, `"16 MiB"`, `"1 GiB"` (also `KB`,
/// `MB`, `GB` for the same binary units, as people write them) to bytes.
fn parse_size(value: &serde_json::Value) -> Option<u64> {
    if let Some(bytes) = value.as_u64() {
        return Some(bytes);
    }
    let text = value.as_str()?.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits_end].parse().ok()?;
    let unit: u64 = match text[digits_end..].trim() {
        "" | "B" => 1,
        "KiB" | "KB" | "K" => 1 << 10,
        "MiB" | "MB" | "M" => 1 << 20,
        "GiB" | "GB" | "G" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// ":line:column" (1-based) of a byte offset, for TOML errors.
fn line_col(text: &str, offset: usize) -> String {
    let (line, column) = crate::finding::line_column(text, offset);
    format!(":{line}:{column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_rule() -> &'static rules::Rule {
        rules::ALL
            .first()
            .expect("the rule registry lists at least one rule")
    }

    #[test]
    fn full_configuration_is_read() {
        let id = first_rule().id;
        let text = format!(
            "include-tests = true\nexclude = [\"gen/**\"]\n[rules]\n{id} = \"off\"\n[blocking]\nextra = [{{ path = \"my::query\", rule = \"{id}\" }}]\nallow = [\"std::fs::metadata\"]\n"
        );
        let config = parse_toml(&text, "stallcheck.toml").unwrap();
        assert_eq!(config.include_tests, Some(true));
        assert_eq!(config.exclude, vec!["gen/**".to_string()]);
        assert_eq!(config.rule_levels.get(id), Some(&RuleLevel::Off));
        assert_eq!(config.blocking_extra, vec![("my::query".to_string(), id)]);
        assert_eq!(config.blocking_allow, vec!["std::fs::metadata".to_string()]);
    }

    #[test]
    fn unknown_key_names_file_position_and_key() {
        let err =
            parse_toml("include-tests = true\nexclud = []\n", "cfg/stallcheck.toml").unwrap_err();
        assert!(
            err.starts_with("invalid configuration `cfg/stallcheck.toml`:2:1:"),
            "{err}"
        );
        assert!(err.contains("exclud"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    #[test]
    fn max_file_size_is_bytes_or_a_size_with_a_unit() {
        let size = |value: &str| {
            parse_toml(&format!("max-file-size = {value}\n"), "stallcheck.toml")
                .map(|config| config.max_file_size)
        };
        assert_eq!(size("1000"), Ok(Some(1000)));
        assert_eq!(size("\"512 KiB\""), Ok(Some(512 << 10)));
        assert_eq!(size("\"16MiB\""), Ok(Some(16 << 20)));
        assert_eq!(
            size("\"16 furlongs\""),
            Err("invalid configuration `stallcheck.toml`: max-file-size = \"16 furlongs\": expected a number of bytes or a size such as \"16 MiB\"".to_string())
        );
    }

    #[test]
    fn unknown_rule_id_is_named() {
        let err = parse_toml("[rules]\nno-such-rule = \"error\"\n", "stallcheck.toml").unwrap_err();
        assert!(err.contains("unknown rule `no-such-rule`"), "{err}");
    }

    #[test]
    fn non_string_severity_names_the_rule() {
        let text = format!("[rules]\n{} = []\n", first_rule().id);
        let err = parse_toml(&text, "stallcheck.toml").unwrap_err();
        assert!(err.contains(first_rule().id) && err.contains("[]"), "{err}");
    }

    #[test]
    fn bad_severity_is_named() {
        let text = format!("[rules]\n{} = \"loud\"\n", first_rule().id);
        let err = parse_toml(&text, "stallcheck.toml").unwrap_err();
        assert!(err.contains("\"loud\""), "{err}");
    }

    #[test]
    fn context_lists_are_read() {
        let text = "[context]\nexecutor-callbacks = [\"myrt::spawn_local_fn\", \"mystream::Stream::from_producer\"]\noffload = [\"myrt::run_offloaded\"]\n";
        let config = parse_toml(text, "stallcheck.toml").unwrap();
        assert_eq!(
            config.executor_callbacks,
            vec![
                "myrt::spawn_local_fn".to_string(),
                "mystream::Stream::from_producer".to_string()
            ]
        );
        assert_eq!(config.offload, vec!["myrt::run_offloaded".to_string()]);
        let dotted = parse_toml(
            "context.offload = [\"myrt::run_offloaded\"]\n",
            "stallcheck.toml",
        )
        .unwrap();
        assert_eq!(dotted.offload, config.offload);
    }

    #[test]
    fn unknown_context_key_names_file_position_and_key() {
        let err = parse_toml(
            "[context]\nexecutor-callback = [\"myrt::spawn\"]\n",
            "stallcheck.toml",
        )
        .unwrap_err();
        assert!(
            err.starts_with("invalid configuration `stallcheck.toml`:2:1:"),
            "{err}"
        );
        assert!(err.contains("executor-callback"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    #[test]
    fn context_entry_that_is_not_a_path_names_file_position_and_key() {
        let err = parse_toml(
            "[context]\noffload = [\"myrt::run\", \"myrt run\"]\n",
            "cfg/stallcheck.toml",
        )
        .unwrap_err();
        assert!(
            err.starts_with("invalid configuration `cfg/stallcheck.toml`:2:"),
            "{err}"
        );
        assert!(
            err.contains("context.offload") && err.contains("`myrt run`"),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        let err = parse_toml(
            "[context]\nexecutor-callbacks = [\"myrt::*\"]\n",
            "stallcheck.toml",
        )
        .unwrap_err();
        assert!(err.contains("context.executor-callbacks"), "{err}");
    }

    #[test]
    fn manifest_context_entry_that_is_not_a_path_is_an_error() {
        let value = serde_json::json!({ "context": { "executor-callbacks": ["a::::b"] } });
        let err = from_metadata(&value, "[package.metadata.stallcheck]").unwrap_err();
        assert!(
            err.contains("[package.metadata.stallcheck]")
                && err.contains("context.executor-callbacks")
                && err.contains("`a::::b`"),
            "{err}"
        );
    }

    #[test]
    fn manifest_table_with_unknown_key_is_an_error() {
        let value = serde_json::json!({ "include_tests": true });
        let err = from_metadata(&value, "[package.metadata.stallcheck]").unwrap_err();
        assert!(
            err.contains("[package.metadata.stallcheck]") && err.contains("include_tests"),
            "{err}"
        );
    }
}
