//! The `smtp-playground` binary: the Yew player on wasm32, a CLI natively.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    smtp_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    for line in smtp_playground::scenario::seed_telnet_session() {
        println!("{line}");
    }
}
