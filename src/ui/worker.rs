//! The simulator's side of the worker (`src/bin/simulator.rs`): answers each request the
//! page posts with [`crate::scenario::service::answer`]. It holds the world, the scenario
//! reader, SPF/DKIM/DMARC (RSA included), permalinks and exports; the page's own module
//! holds none of them.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::scenario::service::{self, Answer, Request};
use crate::timeline::packed::{self, Packer};

/// How many steps go in one part of a run's answer: a quarter of a megabyte of packed JSON,
/// which the page reads in a task well under 50 ms.
pub const STEPS_PER_PART: usize = 2_000;

#[derive(Deserialize)]
struct Envelope {
    id: u32,
    request: Request,
}

/// What goes back to the page ([`crate::ui::simulator`] reads it). Serialised straight from
/// the structs, so a run's JSON has the field order of a lesson's data file.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum ToPage<'a> {
    Answer { id: u32, answer: Answer },
    Part { id: u32, part: packed::Part<'a> },
    Crashed(String),
}

fn to_page(message: &ToPage<'_>) -> String {
    serde_json::to_string(message)
        .unwrap_or_else(|_| "{\"crashed\":\"an answer could not be written\"}".to_owned())
}

/// Installs the message handler and tells the page the simulator is ready. A panic (a bug)
/// is reported to the page before the module stops, so the page can say so and carry on.
pub fn serve() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    std::panic::set_hook(Box::new(|info| {
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let message = to_page(&ToPage::Crashed(info.to_string()));
        let _ = scope.post_message(&message.into());
    }));
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        let (message, spent) = match serde_json::from_str::<Envelope>(&text) {
            Ok(Envelope { id, request }) => {
                let mut answer = service::answer(request);
                let mut steps = Vec::new();
                // A run's steps go first, packed, in parts the page reads one task each.
                if let Answer::Played(played) = &mut answer {
                    steps = std::mem::take(&mut played.timeline.steps);
                    let mut packer = Packer::default();
                    for part in steps.chunks(STEPS_PER_PART) {
                        let part = packer.part(part);
                        let _ = reply_scope.post_message(&to_page(&ToPage::Part { id, part }).into());
                    }
                }
                let answer = ToPage::Answer { id, answer };
                (to_page(&answer), Some((answer, steps)))
            }
            Err(e) => (to_page(&ToPage::Crashed(format!("a request could not be read: {e}"))), None),
        };
        let _ = reply_scope.post_message(&message.into());
        // The run is freed once its answer is on the way: the page waits for the answer, not
        // for this (a 1,000-message run takes a few milliseconds to free).
        drop(spent);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&"\"ready\"".into());
}
