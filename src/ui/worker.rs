//! The simulator's side of the worker (`src/bin/simulator.rs`): answers each request the
//! page posts with [`crate::scenario::service::answer`]. It holds the world, the scenario
//! reader, SPF/DKIM/DMARC (RSA included), permalinks and exports; the page's own module
//! holds none of them.

use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::scenario::service::{self, Request};

#[derive(Deserialize)]
struct Envelope {
    id: u32,
    request: Request,
}

/// Installs the message handler and tells the page the simulator is ready. A panic (a bug)
/// is reported to the page before the module stops, so the page can say so and carry on.
pub fn serve() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    std::panic::set_hook(Box::new(|info| {
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let message = serde_json::json!({ "crashed": info.to_string() }).to_string();
        let _ = scope.post_message(&message.into());
    }));
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        let message = match serde_json::from_str::<Envelope>(&text) {
            Ok(Envelope { id, request }) => {
                let answer = service::answer(request);
                serde_json::json!({ "answer": { "id": id, "answer": answer } }).to_string()
            }
            Err(e) => {
                serde_json::json!({ "crashed": format!("a request could not be read: {e}") }).to_string()
            }
        };
        let _ = reply_scope.post_message(&message.into());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&"\"ready\"".into());
}
