//! The `smtp-playground` binary: the Yew player on wasm32, a CLI natively.
#![forbid(unsafe_code)]

/// Natively, mimalloc: see its line in Cargo.toml. (The page keeps Rust's own allocator.)
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(target_arch = "wasm32")]
fn main() {
    smtp_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::io::{IsTerminal as _, Write as _};
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // Colour only for a terminal, and never with NO_COLOR set (https://no-color.org), so a
    // transcript piped to a file or another program is plain text.
    if !std::io::stdout().is_terminal() || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        args.push("--no-color".to_owned());
    }
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
