//! The simulator worker of the web page (wasm32 only): the world, the scenario reader and
//! mail authentication, answering the player's requests off the main thread
//! (`smtp_playground::ui::worker`). `scripts/build-web.sh` builds it beside the player.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    smtp_playground::ui::worker::serve();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("simulator: this is the web page's worker; on the command line use `smtp-playground`");
    std::process::exit(2);
}
