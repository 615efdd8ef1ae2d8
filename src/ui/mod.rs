//! The browser player (wasm32 only). It renders what the core produced and
//! computes no protocol logic of its own.

pub mod components;
mod state;

/// Mounts the player on the page's `<body>`.
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
