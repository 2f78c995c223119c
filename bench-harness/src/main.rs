fn main() {
    eprintln!("stallcheck-bench: not built yet");
    std::process::exit(2);
}
