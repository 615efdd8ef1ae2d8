//! The page's full player (wasm32 only): the lesson player with the lab, what-if, the
//! inspectors, predict-the-reply and a line's annotated parts. It is never the first module
//! a page loads: the player module (`src/main.rs`) plays the lesson and, when the learner
//! first needs one of these, loads this module, which takes the page over from it with the
//! same state (`smtp_playground::ui::handover`). `scripts/build-web.sh` builds it.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    smtp_playground::ui::handover::take_over();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("player-full: this is the web page's second module; on the command line use `smtp-playground`");
    std::process::exit(2);
}
