//! A helper that reaches several blocking calls: one finding per rule, each
//! naming every distinct call of its rule.

use super::*;

#[test]
fn a_helper_reaching_two_rules_gives_one_finding_per_rule() {
    // The `reqwest::blocking` call after the `create_dir_all` used to be
    // lost: one root cause per function.
    check_one(
        "fn setup() {\n\
             std::fs::create_dir_all(\"d\").unwrap();\n\
             reqwest::blocking::get(\"http://x\").unwrap();\n\
         }\n\
         async fn run() {\n    setup();\n}\n",
        &["src/lib.rs:6:blocking-client", "src/lib.rs:6:blocking-fs"],
    );
}

#[test]
fn a_finding_names_each_distinct_call_of_its_rule() {
    let [finding] = findings(&[(
        "src/lib.rs",
        &[],
        "fn save() {\n\
             std::fs::create_dir_all(\"d\").unwrap();\n\
             write_all();\n\
             std::fs::create_dir_all(\"e\").unwrap();\n\
         }\n\
         fn write_all() { std::fs::write(\"d/a\", b\"\").unwrap(); }\n\
         async fn run() {\n    save();\n}\n",
    )])
    .try_into()
    .expect("one finding");
    assert_eq!(
        finding.message,
        "`save` blocks the executor in async function `run`: it ends up calling \
         `std::fs::create_dir_all` and `std::fs::write`"
    );
    assert_eq!(
        finding.notes,
        [
            "`save` (src/lib.rs:2) calls `std::fs::create_dir_all`",
            "it also reaches `std::fs::write`: `write_all` (src/lib.rs:6) calls it",
        ]
    );
}

#[test]
fn calls_made_in_the_helper_itself_are_what_it_calls() {
    let [finding] = findings(&[(
        "src/lib.rs",
        &[],
        "fn save() {\n\
             std::fs::create_dir_all(\"d\").unwrap();\n\
             std::fs::write(\"d/a\", b\"\").unwrap();\n\
             std::fs::rename(\"d/a\", \"d/b\").unwrap();\n\
             std::fs::remove_file(\"d/b\").unwrap();\n\
         }\n\
         async fn run() {\n    save();\n}\n",
    )])
    .try_into()
    .expect("one finding");
    assert_eq!(
        finding.message,
        "`save` blocks the executor in async function `run`: it calls \
         `std::fs::create_dir_all`, `std::fs::write`, `std::fs::rename` and 1 more"
    );
    assert_eq!(finding.notes.len(), 4, "{:?}", finding.notes);
}

#[test]
fn each_rule_keeps_its_own_shortest_chain() {
    let found = findings(&[(
        "src/lib.rs",
        &[],
        "fn a() { b(); std::thread::sleep(d) }\n\
         fn b() { c() }\n\
         fn c() { std::fs::read(p).unwrap(); }\n\
         async fn run() {\n    a();\n}\n",
    )]);
    let chains: Vec<(&str, usize)> = found
        .iter()
        .map(|finding| (finding.rule, finding.chain.len()))
        .collect();
    assert_eq!(chains, [("blocking-fs", 3), ("blocking-sleep", 1)]);
}
