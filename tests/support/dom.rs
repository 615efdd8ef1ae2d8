//! Helpers for the wasm tests that mount components in headless Chromium.

use std::time::Duration;

/// A fresh element under `<body>` to render into.
pub fn test_root(id: &str) -> web_sys::Element {
    let document = gloo::utils::document();
    let root = document.create_element("div").expect("div");
    root.set_id(id);
    gloo::utils::body().append_child(&root).expect("append");
    root
}

/// Waits until `done` holds (Yew renders on a later tick, later still on a loaded machine:
/// CI runs beside other builds), for at most ten seconds; the assertion after it says what
/// was missing.
pub async fn settle_until(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The element's text.
pub fn text(element: &web_sys::Element) -> String {
    element.text_content().unwrap_or_default()
}
