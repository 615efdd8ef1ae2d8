//! The browser player (wasm32 only). It renders the timeline the core produced and
//! computes no protocol logic of its own.

pub mod browser;
pub mod components;
pub mod embed;
mod hooks;
pub mod progress;
pub mod simulator;
pub mod state;
pub mod worker;

/// Mounts the player on the page's `<body>`, after installing a panic hook that shows
/// an error panel: a panic in wasm would otherwise leave a dead page.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.as_str().into());
        browser::show_error_panel(&message);
    }));
    // The static "Loading the player…" of index.html gives way to the player.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    yew::Renderer::<components::app::App>::new().render();
}
