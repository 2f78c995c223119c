//! Whether human output is coloured, decided as cargo decides it, so that
//! `cargo stallcheck` follows the same settings as the `cargo build` next
//! to it.
//!
//! Highest first:
//! 1. `--color always|never|auto`;
//! 2. `CARGO_TERM_COLOR` (cargo's `term.color`, which cargo's `--color`
//!    flag overrides too: <https://doc.rust-lang.org/cargo/reference/config.html#termcolor>);
//! 3. in `auto`, the conventions cargo reads through `anstream`
//!    (`anstream::AutoStream::choice`):
//!    - `NO_COLOR`, set and not empty: no colour (<https://no-color.org>:
//!      command-line arguments and configuration override it, which is why
//!      `--color always` and `CARGO_TERM_COLOR=always` still colour);
//!    - `CLICOLOR_FORCE`, set and not empty: colour even when stdout is not
//!      a terminal (<https://bixense.com/clicolors/>);
//!    - `CLICOLOR=0`: no colour;
//!    - otherwise colour when stdout is a terminal and `TERM` is set and
//!      not `dumb` (or `CLICOLOR` is set, or `CI` is).

use std::ffi::OsString;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Auto,
    Always,
    Never,
}

/// Decides from the flag, the environment (`env(name)`, so tests need not
/// change the process's) and whether stdout is a terminal. An invalid
/// `CARGO_TERM_COLOR` is an error, as it is for cargo, unless the flag
/// makes it irrelevant.
pub fn decide(
    flag: Option<When>,
    env: impl Fn(&str) -> Option<OsString>,
    stdout_is_terminal: bool,
) -> Result<bool, String> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let when = match flag {
        Some(when) => when,
        None => match set("CARGO_TERM_COLOR") {
            None => When::Auto,
            Some(value) => match value.to_str() {
                Some("auto") => When::Auto,
                Some("always") => When::Always,
                Some("never") => When::Never,
                _ => {
                    return Err(format!(
                        "invalid CARGO_TERM_COLOR `{}`: expected `auto`, `always` or `never`",
                        value.to_string_lossy()
                    ));
                }
            },
        },
    };
    Ok(match when {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            let clicolor = env("CLICOLOR").map(|value| value != "0");
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some() {
                true
            } else if clicolor == Some(false) {
                false
            } else {
                let term_has_colour = env("TERM").is_some_and(|term| term != "dumb");
                stdout_is_terminal
                    && (term_has_colour || clicolor == Some(true) || env("CI").is_some())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `decide` with only these variables set.
    fn colour(flag: Option<When>, vars: &[(&str, &str)], terminal: bool) -> Result<bool, String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        };
        decide(flag, env, terminal)
    }

    const TERMINAL: bool = true;
    const PIPE: bool = false;
    const XTERM: (&str, &str) = ("TERM", "xterm-256color");

    #[test]
    fn auto_colours_a_terminal_only() {
        assert_eq!(colour(None, &[XTERM], TERMINAL), Ok(true));
        assert_eq!(colour(None, &[XTERM], PIPE), Ok(false));
        assert_eq!(colour(Some(When::Auto), &[XTERM], TERMINAL), Ok(true));
    }

    #[test]
    fn a_dumb_terminal_gets_no_colour() {
        assert_eq!(colour(None, &[("TERM", "dumb")], TERMINAL), Ok(false));
    }

    #[test]
    fn the_flag_wins_over_every_variable() {
        let all = [
            XTERM,
            ("CARGO_TERM_COLOR", "always"),
            ("NO_COLOR", "1"),
            ("CLICOLOR_FORCE", "1"),
        ];
        assert_eq!(colour(Some(When::Never), &all, TERMINAL), Ok(false));
        assert_eq!(
            colour(Some(When::Always), &[("NO_COLOR", "1")], PIPE),
            Ok(true)
        );
        // An invalid CARGO_TERM_COLOR does not matter when the flag decides.
        assert_eq!(
            colour(Some(When::Never), &[("CARGO_TERM_COLOR", "bogus")], PIPE),
            Ok(false)
        );
    }

    #[test]
    fn cargo_term_color_is_used_without_the_flag_and_beats_no_color() {
        let always = ("CARGO_TERM_COLOR", "always");
        assert_eq!(colour(None, &[always, ("NO_COLOR", "1")], PIPE), Ok(true));
        let never = ("CARGO_TERM_COLOR", "never");
        assert_eq!(colour(None, &[never, XTERM], TERMINAL), Ok(false));
        let auto = ("CARGO_TERM_COLOR", "auto");
        assert_eq!(colour(None, &[auto, XTERM], PIPE), Ok(false));
    }

    #[test]
    fn an_invalid_cargo_term_color_is_an_error_naming_it() {
        assert_eq!(
            colour(None, &[("CARGO_TERM_COLOR", "yes")], TERMINAL),
            Err("invalid CARGO_TERM_COLOR `yes`: expected `auto`, `always` or `never`".to_string())
        );
    }

    #[test]
    fn no_color_beats_clicolor_force_in_auto() {
        let vars = [XTERM, ("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
        assert_eq!(colour(None, &vars, TERMINAL), Ok(false));
    }

    #[test]
    fn empty_no_color_and_clicolor_force_are_unset() {
        assert_eq!(colour(None, &[XTERM, ("NO_COLOR", "")], TERMINAL), Ok(true));
        assert_eq!(colour(None, &[("CLICOLOR_FORCE", "")], PIPE), Ok(false));
    }

    #[test]
    fn clicolor_force_colours_a_pipe() {
        assert_eq!(colour(None, &[("CLICOLOR_FORCE", "1")], PIPE), Ok(true));
    }

    #[test]
    fn clicolor_zero_turns_colour_off_on_a_terminal() {
        assert_eq!(
            colour(None, &[XTERM, ("CLICOLOR", "0")], TERMINAL),
            Ok(false)
        );
    }
}
