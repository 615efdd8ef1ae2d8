//! The `postMessage` API of embed mode (`www/embed.js` is the other end). Active only with
//! `?embed=1&parent=ORIGIN`, inside a frame: commands are taken only from the parent
//! window at that origin, events are posted only to that origin (never `"*"`).

use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use web_sys::js_sys;
use yew::prelude::*;

use crate::timeline::Outcome;

use crate::ui::browser;
use crate::ui::embed::{Command, event};
use crate::ui::state::{Action, State};

fn post(origin: &str, message: &JsValue) {
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        // Fails (and is dropped) when the parent is not at `origin`: nothing leaks elsewhere.
        let _ = parent.post_message(message, origin);
    }
}

fn optional_str(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// The outcome as a plain object `{delivered: {mailbox: count}, dsns: [...], queued,
/// truncated}`, the same fields as the CLI's JSON (built by hand: serde_json would add
/// its serializer to the page for this one object).
fn outcome_value(outcome: &Outcome) -> JsValue {
    let delivered = js_sys::Object::new();
    for (mailbox, count) in &outcome.delivered {
        let _ = js_sys::Reflect::set(&delivered, &JsValue::from_str(mailbox), &JsValue::from(*count as u32));
    }
    let dsns: js_sys::Array = outcome.dsns.iter().map(|d| JsValue::from_str(d)).collect();
    let object = js_sys::Object::new();
    for (name, value) in [
        ("delivered", JsValue::from(delivered)),
        ("dsns", dsns.into()),
        ("queued", JsValue::from(outcome.queued as u32)),
        ("truncated", JsValue::from_bool(outcome.truncated)),
    ] {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), &value);
    }
    object.into()
}

/// Commands from the window `sender` at `origin`, dispatched as actions: every command from
/// the parent window of an embed, only `open-recording` (`recordings_only`) from this page
/// itself (`index.html` reads a file picked or dropped and posts it to its own window). The
/// right origin and the very window: another frame of the same page cannot drive the player.
fn listen(
    sender: JsValue,
    origin: String,
    recordings_only: bool,
    dispatcher: UseReducerDispatcher<State>,
) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else { return };
        let from_sender = event.source().is_some_and(|source| {
            let source: &JsValue = source.as_ref();
            *source == sender
        });
        if event.origin() != origin || !from_sender {
            return;
        }
        let action = match Command::read(&event.data()) {
            Some(Command::OpenRecording(json)) => Action::OpenRecording(json.into()),
            _ if recordings_only => return,
            Some(Command::Goto(step)) => Action::Seek(step),
            Some(Command::Play) => Action::Play,
            Some(Command::Pause) => Action::Pause,
            Some(Command::LoadScenario(source)) => Action::LoadSource(source.into()),
            Some(Command::LoadLesson(lesson)) => Action::OpenLesson(lesson),
            None => return,
        };
        dispatcher.dispatch(action);
    }))
}

/// Commands from the parent window at `origin` (embed mode).
fn listen_for_commands(origin: String, dispatcher: UseReducerDispatcher<State>) -> Option<EventListener> {
    let parent = web_sys::window()?.parent().ok().flatten()?;
    listen(parent.into(), origin, false, dispatcher)
}

/// Recordings the page itself opens, from its own window and origin.
fn listen_for_own_recordings(dispatcher: UseReducerDispatcher<State>) -> Option<EventListener> {
    let window = web_sys::window()?;
    let origin = window.location().origin().ok()?;
    listen(window.into(), origin, true, dispatcher)
}

/// `resize` events with the body's height whenever it changes, so the frame fits it.
/// The body, not the root element: the root is at least as tall as the frame, so it would
/// never let the frame shrink.
fn observe_height(origin: String) -> Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)> {
    let body = web_sys::window()?.document()?.body()?;
    let measured = body.clone();
    let mut last = 0;
    let callback = Closure::<dyn FnMut()>::new(move || {
        let height = measured.offset_height().max(0) as u32;
        if height != last {
            last = height;
            post(&origin, &event("resize", &[("height", JsValue::from(height))]));
        }
    });
    let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    observer.observe(&body);
    Some((observer, callback))
}

/// Listens for commands and posts `ready`, `step-changed`, `lesson-finished` and
/// `resize` to the embedding page.
#[hook]
pub fn use_embed(state: &UseReducerHandle<State>) {
    let parent = state.embed.as_ref().and_then(|e| e.parent.clone()).filter(|_| browser::in_frame());

    let dispatcher = state.dispatcher();
    use_effect_with(parent.clone(), move |parent| {
        let listener = parent.clone().and_then(|origin| listen_for_commands(origin, dispatcher));
        move || drop(listener)
    });
    let dispatcher = state.dispatcher();
    use_effect_with((), move |()| {
        let listener = listen_for_own_recordings(dispatcher);
        move || drop(listener)
    });
    // Autoplay waits until at least half the player is in the reader's viewport: an embed
    // further down a course page starts when it is scrolled to, not while off screen. In a
    // frame, IntersectionObserver's implicit root is the top-level page's viewport.
    let autoplay = state.embed.as_ref().is_some_and(|e| e.autoplay) && state.loaded.is_some();
    let player = state.dispatcher();
    use_effect_with(autoplay, move |autoplay| {
        let observer = autoplay.then(|| play_when_seen(player)).flatten();
        move || {
            if let Some((observer, callback)) = observer {
                observer.disconnect();
                drop(callback);
            }
        }
    });
    // The height is reported once the first run is shown: the loading note's is not the
    // player's, and a frame sized to it would jump.
    let shown = state.loaded.is_some();
    use_effect_with((parent.clone(), shown), move |(parent, shown)| {
        let observer = parent.clone().filter(|_| *shown).and_then(observe_height);
        move || {
            if let Some((observer, callback)) = observer {
                observer.disconnect();
                drop(callback);
            }
        }
    });

    // Events to the parent: `ready` once per loaded run, then the position. `posted` is the
    // run and step last told: after a takeover the player module has told both already.
    let run = state.loaded.as_ref().map(|l| Rc::as_ptr(&l.timeline) as usize);
    let took_over = crate::ui::handover::took_over();
    let posted = use_mut_ref(|| took_over.then_some((run, state.position)));
    let deps = (parent.clone(), run, state.position);
    let shown = state.clone();
    use_effect_with(deps, move |(parent, run, position)| {
        let (Some(origin), Some(loaded)) = (parent, shown.loaded.as_ref()) else { return };
        let told = posted.replace(Some((*run, *position)));
        if told == Some((*run, *position)) {
            return;
        }
        let steps = loaded.timeline.steps.len();
        let lesson = optional_str(loaded.lesson.as_deref());
        if told.map(|(run, _)| run) != Some(*run) {
            post(
                origin,
                &event(
                    "ready",
                    &[
                        ("lesson", lesson.clone()),
                        ("title", JsValue::from_str(&loaded.played.title)),
                        ("steps", JsValue::from(steps as u32)),
                    ],
                ),
            );
        }
        let current = position.checked_sub(1).and_then(|i| loaded.timeline.steps.get(i));
        post(
            origin,
            &event(
                "step-changed",
                &[
                    ("step", JsValue::from(*position as u32)),
                    ("of", JsValue::from(steps as u32)),
                    ("time", current.map_or(JsValue::NULL, |s| JsValue::from(s.time as f64))),
                    ("summary", JsValue::from_str(current.map_or("", |s| s.summary.as_str()))),
                ],
            ),
        );
        if steps > 0 && *position >= steps {
            post(
                origin,
                &event(
                    "lesson-finished",
                    &[("lesson", lesson), ("outcome", outcome_value(&loaded.timeline.outcome))],
                ),
            );
        }
    });
}

type SeenCallback = Closure<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>;

/// Plays once at least half of what the frame shows is in the reader's viewport; the observer
/// stops after that. Half of the frame, not half of the body: a page author who gives the
/// frame a fixed height (embed.js `height`) makes the body taller than the frame, and half of
/// it may never be visible at once.
fn play_when_seen(
    player: UseReducerDispatcher<State>,
) -> Option<(web_sys::IntersectionObserver, SeenCallback)> {
    let window = web_sys::window()?;
    let body = window.document()?.body()?;
    let callback = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
        move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
            let frame = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(f64::INFINITY);
            let seen = entries.iter().any(|entry| {
                entry.dyn_into::<web_sys::IntersectionObserverEntry>().is_ok_and(|e| {
                    let shown = e.bounding_client_rect().height().min(frame);
                    e.is_intersecting() && shown > 0.0 && e.intersection_rect().height() >= shown / 2.0
                })
            });
            if seen {
                observer.disconnect();
                player.dispatch(Action::AutoPlay);
            }
        },
    );
    let options = web_sys::IntersectionObserverInit::new();
    // A callback at every tenth of the body: which one means "half the frame" depends on
    // how much taller than the frame the body is.
    let thresholds: js_sys::Array = (0..=10).map(|i| JsValue::from_f64(f64::from(i) / 10.0)).collect();
    options.set_threshold(&thresholds);
    let observer =
        web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options).ok()?;
    observer.observe(&body);
    Some((observer, callback))
}
