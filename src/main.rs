//! The `smtp-playground` binary: the Yew player on wasm32, a CLI natively.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    smtp_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::io::Write as _;
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `serve` and `send` print as they go.
    if let Some(code) = smtp_playground::cli::stream(&args) {
        std::process::exit(code);
    }
    let (output, code) = smtp_playground::cli::main(&args);
    let mut stream: Box<dyn std::io::Write> =
        if code == 0 { Box::new(std::io::stdout()) } else { Box::new(std::io::stderr()) };
    // A closed pipe (e.g. `| head`) is not an error worth a panic.
    let _ = stream.write_all(output.as_bytes());
    std::process::exit(code);
}
