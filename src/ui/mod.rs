//! The browser player (wasm32 only). It renders the timeline the core produced and
//! computes no protocol logic of its own.
//!
//! Built twice (issue 13): without the `full` feature it is the player module a lesson
//! loads first; with it, the full player that takes over when the lab, the inspectors,
//! predict or a scenario run are first needed ([`handover`]).

pub mod browser;
pub mod components;
pub mod embed;
pub mod handover;
mod hooks;
pub mod progress;
#[cfg(feature = "full")]
pub mod simulator;
pub mod state;
pub mod worker;

/// Shows an error panel on a panic: a panic in wasm would otherwise leave a dead page.
pub fn set_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.as_str().into());
        browser::show_error_panel(&message);
    }));
}

/// Mounts the player on the page's `<body>`, after installing the panic hook.
pub fn start() {
    set_panic_hook();
    // The static "Loading the player…" of index.html gives way to the player.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    let app = yew::Renderer::<components::app::App>::new().render();
    #[cfg(not(feature = "full"))]
    handover::keep_app(app);
    #[cfg(feature = "full")]
    drop(app);
}
