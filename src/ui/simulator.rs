//! The page's side of the simulator: a second WebAssembly module that runs in a Web Worker
//! (`simulator-worker.js`, built from `src/bin/simulator.rs`). It is started on the first
//! request, never for a lesson played from its static data; requests and answers travel as
//! JSON ([`crate::scenario::service`]), one answer per request, in order. A run's steps come
//! first, packed ([`crate::timeline::packed`]: each distinct text once), in parts
//! ([`crate::ui::worker::STEPS_PER_PART`] steps), each read in a task of its own, so no single
//! task of the page reads a whole bulk run.
//!
//! If the worker cannot start (its files blocked, a network error) every request waiting is
//! answered with a message, the player keeps playing what it has, and the next request
//! tries again.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::scenario::service::{Answer, Request};
use crate::timeline::packed::{ReadPart, Unpacker};

/// The worker's script, next to the page.
pub const WORKER_URL: &str = "./simulator-worker.js";

/// What the worker sends back: `ready` once its module runs, then an answer per request;
/// `crashed` if the simulator stopped (a bug) or could not start.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum FromWorker {
    Ready,
    Answer {
        id: u32,
        answer: Answer,
    },
    /// Steps of the run that answers `id`, packed, in order, before the answer itself
    /// (which then carries the rest of the run with no steps).
    Part {
        id: u32,
        part: ReadPart,
    },
    Crashed(String),
}

type Reply = Box<dyn FnOnce(Result<Answer, String>)>;

struct Simulator {
    worker: web_sys::Worker,
    ready: bool,
    next: u32,
    /// Requests not yet posted (the worker is still starting), in order.
    queued: Vec<(u32, String)>,
    waiting: BTreeMap<u32, Reply>,
    /// The steps received so far for each answer still to come.
    parts: BTreeMap<u32, Unpacker>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static SIMULATOR: RefCell<Option<Simulator>> = const { RefCell::new(None) };
}

/// Whether the worker has been started.
pub fn started() -> bool {
    SIMULATOR.with(|s| s.borrow().is_some())
}

/// Whether the simulator has loaded and answers (the loading messages say "Starting the
/// simulator…" until then).
pub fn ready() -> bool {
    SIMULATOR.with(|s| s.borrow().as_ref().is_some_and(|sim| sim.ready))
}

/// Starts the worker ahead of a request (the lab opened), so its first answer is quick.
pub fn warm() {
    if !started()
        && let Ok(simulator) = start()
    {
        SIMULATOR.with(|s| *s.borrow_mut() = Some(simulator));
    }
}

/// Sends `request` to the simulator; `reply` gets its answer, or why there is none.
pub fn ask(request: &Request, reply: impl FnOnce(Result<Answer, String>) + 'static) {
    let message = match serde_json::to_string(request) {
        Ok(json) => json,
        Err(e) => return reply(Err(format!("the request could not be written: {e}"))),
    };
    let started = SIMULATOR.with(|s| s.borrow().is_some());
    if !started {
        match start() {
            Ok(simulator) => SIMULATOR.with(|s| *s.borrow_mut() = Some(simulator)),
            Err(e) => return reply(Err(e)),
        }
    }
    SIMULATOR.with(|s| {
        let mut slot = s.borrow_mut();
        let Some(sim) = slot.as_mut() else { return };
        let id = sim.next;
        sim.next = sim.next.wrapping_add(1);
        let envelope = format!("{{\"id\":{id},\"request\":{message}}}");
        sim.waiting.insert(id, Box::new(reply));
        if sim.ready {
            let _ = sim.worker.post_message(&envelope.into());
        } else {
            sim.queued.push((id, envelope));
        }
    });
}

fn start() -> Result<Simulator, String> {
    let worker =
        web_sys::Worker::new(WORKER_URL).map_err(|e| format!("the simulator could not start: {e:?}"))?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        match serde_json::from_str::<FromWorker>(&text) {
            Ok(FromWorker::Ready) => SIMULATOR.with(|s| {
                if let Some(sim) = s.borrow_mut().as_mut() {
                    sim.ready = true;
                    for (_, envelope) in sim.queued.drain(..) {
                        let _ = sim.worker.post_message(&envelope.into());
                    }
                }
            }),
            Ok(FromWorker::Part { id, part }) => {
                let added = SIMULATOR.with(|s| match s.borrow_mut().as_mut() {
                    Some(sim) => sim.parts.entry(id).or_default().add(part),
                    None => Ok(()),
                });
                if let Err(e) = added {
                    fail(&format!("the simulator's answer could not be read: {e}"));
                }
            }
            Ok(FromWorker::Answer { id, mut answer }) => {
                let (reply, parts) = SIMULATOR.with(|s| {
                    let mut slot = s.borrow_mut();
                    let sim = slot.as_mut();
                    sim.map_or((None, None), |sim| (sim.waiting.remove(&id), sim.parts.remove(&id)))
                });
                if let (Answer::Played(played), Some(parts)) = (&mut answer, parts) {
                    played.timeline.steps = parts.finish();
                }
                if let Some(reply) = reply {
                    reply(Ok(answer));
                }
            }
            Ok(FromWorker::Crashed(why)) => fail(&format!("the simulator stopped: {why}")),
            Err(e) => fail(&format!("the simulator's answer could not be read: {e}")),
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        event.prevent_default();
        let detail = event.dyn_ref::<web_sys::ErrorEvent>().map(|e| e.message()).filter(|m| !m.is_empty());
        fail(&detail.unwrap_or_else(|| "its files could not be fetched".to_owned()));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Simulator {
        worker,
        ready: false,
        next: 1,
        queued: Vec::new(),
        waiting: BTreeMap::new(),
        parts: BTreeMap::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// Ends the worker and answers everything waiting with `why`; the next request starts anew.
fn fail(why: &str) {
    let Some(sim) = SIMULATOR.with(|s| s.borrow_mut().take()) else { return };
    sim.worker.terminate();
    let message = format!(
        "The simulator could not be loaded ({why}). The lesson still plays; try again, or reload the page."
    );
    for (_, reply) in sim.waiting {
        reply(Err(message.clone()));
    }
}
