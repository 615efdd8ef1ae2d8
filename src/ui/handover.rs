//! The page in two modules (issue 13, "player first").
//!
//! The first module a page loads (`src/main.rs`, built without the `full` feature) plays a
//! lesson from its static data: lanes, journey map, transcript, explanations, controls,
//! presenter and embed mode. What a learner reaches for next (the lab, what-if, the
//! inspectors, predict-the-reply, a line's annotated parts, the lesson list, "Start here",
//! help, the lesson's recap, and every scenario run, which needs the simulator worker) is in
//! the full player (`src/bin/player_full.rs`, the same player built with `full`), about twice
//! as large and never in the way of the first step. The first time the state needs it
//! (`State::needs_full`) the player module fetches it (`window.smtpPlaygroundLoadFull`, in
//! `index.html`); the full module then takes the page over (`take_over`), in three short
//! tasks: it asks the player module for its state (as JSON, the lesson's data included; from
//! then the player module takes no more actions, and keys, clicks and an embedding page's
//! commands are held, `index.html`), it draws the full player with that state out of sight,
//! and it puts it in the page in place of the player module's, which unmounts. The learner
//! sees the same lesson at the same step, with focus and scroll kept, and the lab (or what
//! they asked for) open; the held input is replayed, and the full player does not announce
//! again what the player module told an embedding page.
//! If the full module cannot be loaded the player says so and plays on
//! (`Action::FullFailed`).

use serde::{Deserialize, Serialize};

use crate::ui::state::{Console, LabTab, Pending, Predict, Theme};

/// The global the full module calls to take the page over: the player module's answer, the
/// handover as JSON.
const HANDOVER: &str = "smtpPlaygroundHandover";
/// The global the full module calls once its page is ready: the player module unmounts.
const RETIRE: &str = "smtpPlaygroundRetire";
/// The player's scrolling boxes, whose scroll is kept across the switch.
#[cfg(not(feature = "full"))]
const SCROLLERS: [&str; 2] = [".transcript", ".journey-body"];
/// The global (in `index.html`) that imports the full module and runs it.
#[cfg(not(feature = "full"))]
const LOAD_FULL: &str = "smtpPlaygroundLoadFull";

/// What the full module carries on with: the state, field by field, with the lesson's data
/// as it was fetched instead of the parsed run. The embed options, the stored progress and
/// the theme's storage are read again from the page, as at any start.
#[derive(Debug, Serialize, Deserialize)]
pub struct Handover {
    /// The lesson played, and its data (`lessons/ID.json`) as fetched.
    lesson: Option<(String, String)>,
    /// A recording to open (the player module does not read them), as text.
    recording: Option<String>,
    position: usize,
    playing: bool,
    speed: usize,
    crlf: bool,
    help: bool,
    picker: bool,
    intro: bool,
    presenter: bool,
    predict: Option<Predict>,
    theme: Option<Theme>,
    opened: Option<usize>,
    lab: Option<LabTab>,
    console: Console,
    notice: Option<String>,
    pending: Option<Pending>,
    seq: u32,
    /// A selector for the element that had focus, to focus its twin after the switch.
    focus: Option<String>,
    /// The page's vertical scroll, kept across the switch.
    scroll: f64,
    /// The scroll (top, left) of each of [`SCROLLERS`] that is scrolled.
    scrolls: Vec<(String, i32, i32)>,
    /// An embed's autoplay still to come (it plays once, whichever module sees the frame).
    autoplay: bool,
}

/// The player module's side: remembers the lesson data it fetched and its app, and loads
/// the full module when the state first needs it.
#[cfg(not(feature = "full"))]
mod player {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use wasm_bindgen::JsValue;
    use wasm_bindgen::prelude::Closure;
    use web_sys::js_sys;
    use yew::AppHandle;
    use yew::prelude::*;

    use super::{HANDOVER, Handover, LOAD_FULL, RETIRE, SCROLLERS};
    use crate::ui::components::app::App;
    use crate::ui::state::{Action, State};
    use wasm_bindgen::JsCast as _;

    thread_local! {
        /// The last lesson fetched: its id and data, as the full module will read them.
        static LESSON: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
        static APP: RefCell<Option<AppHandle<App>>> = const { RefCell::new(None) };
        /// The newest state, once the full module is wanted.
        static LATEST: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
        static LOADING: Cell<bool> = const { Cell::new(false) };
        /// The last load failed (placeholders say so instead of "Loading…").
        static FAILED: Cell<bool> = const { Cell::new(false) };
        /// The state has been handed over: the page is the full player's from here.
        static FROZEN: Cell<bool> = const { Cell::new(false) };
    }

    /// Whether the state has been handed over to the full player: the player module's page
    /// stays on screen until the full player's replaces it, but takes no more actions (a
    /// playback tick, a fetch that arrives), which would be lost or shown twice.
    pub fn frozen() -> bool {
        FROZEN.with(Cell::get)
    }

    /// Whether the full module could not be loaded the last time it was asked for.
    pub fn failed() -> bool {
        FAILED.with(Cell::get)
    }

    /// Whether the full module is being loaded (the state handed over is the latest one).
    pub fn loading() -> bool {
        LOADING.with(Cell::get)
    }

    /// Keeps a lesson's data as fetched, for the handover.
    pub fn remember_lesson(id: String, data: String) {
        LESSON.with(|l| *l.borrow_mut() = Some((id, data)));
    }

    /// Keeps the mounted app, to unmount it when the full module takes over.
    pub fn keep_app(app: AppHandle<App>) {
        APP.with(|a| *a.borrow_mut() = Some(app));
    }

    /// Keeps the newest state once the full module is wanted (before, no copy is kept): the
    /// handover is made from it when the full module asks.
    pub fn note(state: &Rc<State>) {
        if state.needs_full() || loading() {
            LATEST.with(|l| *l.borrow_mut() = Some(Rc::clone(state)));
        }
    }

    /// Notes a state that came from no action (the page's first, a share link waiting for
    /// the simulator), unless an action's is already noted.
    pub fn note_rendered(state: &State) {
        if LATEST.with(|l| l.borrow().is_none()) && (state.needs_full() || loading()) {
            note(&Rc::new(state.clone()));
        }
    }

    /// Loads the full module once (again after a failure).
    pub fn load_full(dispatcher: UseReducerDispatcher<State>) {
        if LOADING.with(|l| l.replace(true)) {
            return;
        }
        FAILED.with(|f| f.set(false));
        let Some(window) = web_sys::window() else { return };
        let answer = Closure::once_into_js(move || -> JsValue {
            let Some(state) = LATEST.with(|l| l.borrow_mut().take()) else { return JsValue::NULL };
            // From here the state is the full player's: this module takes no more actions,
            // and keys, clicks and an embedding page's commands wait for it (index.html).
            FROZEN.with(|f| f.set(true));
            crate::ui::browser::call_global("smtpPlaygroundHoldInput");
            let handover = handover_of(&state);
            serde_json::to_string(&handover).map(JsValue::from).unwrap_or(JsValue::NULL)
        });
        let _ = js_sys::Reflect::set(&window, &HANDOVER.into(), &answer);
        let retire = Closure::once_into_js(|| {
            APP.with(|a| a.borrow_mut().take().map(AppHandle::destroy));
        });
        let _ = js_sys::Reflect::set(&window, &RETIRE.into(), &retire);
        let load =
            crate::ui::browser::call_global(LOAD_FULL).and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
        wasm_bindgen_futures::spawn_local(async move {
            let failed = match load {
                Some(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.err().map(|e| {
                    e.dyn_ref::<js_sys::Error>()
                        .map_or_else(|| "it did not load".to_owned(), |e| String::from(e.message()))
                }),
                None => Some("the page has no loader for it".to_owned()),
            };
            if let Some(why) = failed {
                LOADING.with(|l| l.set(false));
                FAILED.with(|f| f.set(true));
                LATEST.with(|l| l.borrow_mut().take());
                if let Some(window) = web_sys::window() {
                    let _ = js_sys::Reflect::delete_property(&window, &HANDOVER.into());
                    let _ = js_sys::Reflect::delete_property(&window, &RETIRE.into());
                }
                dispatcher.dispatch(Action::FullFailed(why));
            }
        });
    }

    fn handover_of(state: &State) -> Handover {
        let lesson = state.loaded.as_ref().and_then(|l| l.lesson.clone());
        let lesson = LESSON.with(|l| l.borrow_mut().take()).filter(|(id, _)| Some(id) == lesson.as_ref());
        let window = web_sys::window();
        Handover {
            lesson,
            recording: state.opening.as_deref().map(str::to_owned),
            position: state.position,
            playing: state.playing,
            speed: state.speed,
            crlf: state.crlf,
            help: state.help,
            picker: state.picker,
            intro: state.intro,
            presenter: state.presenter,
            predict: state.predict.clone(),
            theme: state.theme,
            opened: state.opened,
            lab: state.lab,
            console: state.console.clone(),
            notice: state.notice.clone(),
            pending: state.pending.clone(),
            seq: state.seq,
            focus: focused_selector(),
            scroll: window.as_ref().and_then(|w| w.scroll_y().ok()).unwrap_or(0.0),
            scrolls: scrolled(),
            autoplay: state.embed.as_ref().is_some_and(|e| e.autoplay),
        }
    }

    /// The scroll of each of [`SCROLLERS`] that is scrolled.
    fn scrolled() -> Vec<(String, i32, i32)> {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
        SCROLLERS
            .iter()
            .filter_map(|selector| {
                let element = document.query_selector(selector).ok()??;
                let (top, left) = (element.scroll_top(), element.scroll_left());
                (top != 0 || left != 0).then(|| ((*selector).to_owned(), top, left))
            })
            .collect()
    }

    /// `#id`, or a transcript line's button (`[data-index]`, its class), of the element
    /// with focus.
    fn focused_selector() -> Option<String> {
        let active = web_sys::window()?.document()?.active_element()?;
        let id = active.id();
        if !id.is_empty() {
            return Some(format!("#{id}"));
        }
        let row = active.closest("[data-index]").ok()??;
        let index = row.get_attribute("data-index")?.parse::<usize>().ok()?;
        let class = active.class_name();
        let class = class
            .split_whitespace()
            .next()
            .filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        Some(match class {
            Some(class) => format!(".transcript [data-index=\"{index}\"] > .{class}"),
            None => format!(".transcript [data-index=\"{index}\"]"),
        })
    }
}

#[cfg(not(feature = "full"))]
pub use player::{failed, frozen, keep_app, load_full, loading, note, note_rendered, remember_lesson};

/// The full module's side: takes the page over from the player module.
#[cfg(feature = "full")]
mod full {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use gloo::timers::callback::Timeout;
    use wasm_bindgen::JsCast as _;

    use super::{HANDOVER, Handover, RETIRE};
    use crate::scenario::played::Played;
    use crate::ui::components::app::App;
    use crate::ui::hooks::with_text;
    use crate::ui::state::{Shown, State};

    /// Focus and scroll as they were in the player module.
    struct View {
        focus: Option<String>,
        scroll: f64,
        scrolls: Vec<(String, i32, i32)>,
    }

    thread_local! {
        static RECEIVED: RefCell<Option<State>> = const { RefCell::new(None) };
        /// The page was taken over from the player module (not loaded on its own).
        static TOOK_OVER: Cell<bool> = const { Cell::new(false) };
        /// The full player's page, drawn out of sight, and the view to give it.
        static PAGE: RefCell<Option<(web_sys::Element, View)>> = const { RefCell::new(None) };
    }

    /// The full module's start. Loaded on its own (no player module to ask), it simply starts
    /// from the URL. Taking over, it works in three tasks, each short (no main-thread task
    /// over 50 ms): it asks the player module for its state and reads it; it draws the full
    /// player into an element not yet in the page, out of sight; then it puts that element in
    /// the page in place of the player module's, with focus and scroll as they were. Until
    /// then the player module's page stays on screen, still (it takes no more actions), and
    /// keys, clicks and an embedding page's commands are held for the full player
    /// (`index.html`).
    pub fn take_over() {
        crate::ui::set_panic_hook();
        if !crate::ui::browser::has_global(HANDOVER) {
            crate::ui::start();
            return;
        }
        // A task of its own: the module's compile and start end the one it arrives in.
        Timeout::new(0, read_handover).forget();
    }

    /// The first task: the state as the player module has it now, read.
    fn read_handover() {
        let handover = crate::ui::browser::call_global(HANDOVER)
            .and_then(|json| json.as_string())
            .and_then(|json| serde_json::from_str::<Handover>(&json).ok());
        let Some(mut handover) = handover else {
            // The player module did not answer: it still has the page.
            crate::ui::browser::call_global("smtpPlaygroundReleaseInput");
            return;
        };
        let view = View {
            focus: handover.focus.take(),
            scroll: handover.scroll,
            scrolls: std::mem::take(&mut handover.scrolls),
        };
        // A recording handed over to be opened is a run the player module never showed, so
        // never announced to an embedding page: the full player announces it.
        TOOK_OVER.with(|t| t.set(handover.recording.is_none()));
        // The lesson's data has no scenario text (the player module plays without it); the
        // full player's lab works on it, so it is fetched before the full player is drawn.
        match handover.lesson.as_ref().map(|(id, _)| format!("lessons/{id}.toml")) {
            Some(url) => wasm_bindgen_futures::spawn_local(async move {
                let text = crate::ui::browser::fetch_text(&url).await;
                received(handover, Some(text), view);
            }),
            None => received(handover, None, view),
        }
    }

    /// The state handed over, with its lesson's text, kept for the app; its drawing next.
    fn received(handover: Handover, text: Option<Result<String, String>>, view: View) {
        RECEIVED.with(|r| *r.borrow_mut() = Some(handover.into_state(text)));
        Timeout::new(0, move || draw(view)).forget();
    }

    /// The second task: the full player drawn into an element outside the page (its effects
    /// may run in a later task, when Yew yields; the third task follows them, [`drawn`]).
    fn draw(view: View) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let Ok(root) = document.create_element("div") else { return };
        // No box of its own: the player's layout is as if it were the body's child.
        let _ = root.set_attribute("style", "display:contents");
        yew::Renderer::<App>::with_root(root.clone()).render();
        PAGE.with(|p| *p.borrow_mut() = Some((root, view)));
    }

    /// The full player's first effects have run (its listeners are in place): the swap is
    /// scheduled. Its own parts, scheduled after this, are drawn once it has happened.
    pub fn drawn() {
        if PAGE.with(|p| p.borrow().is_some()) {
            Timeout::new(0, || {
                if let Some((root, view)) = PAGE.with(|p| p.borrow_mut().take()) {
                    swap(&root, view);
                }
            })
            .forget();
        }
    }

    /// The third task: the full player's element in place of the player module's, focus and
    /// scroll put back, and the held input replayed.
    fn swap(root: &web_sys::Element, view: View) {
        let Some(window) = web_sys::window() else { return };
        let Some(body) = window.document().and_then(|d| d.body()) else { return };
        // The player module removes its own page (in a microtask of this task, before the
        // next paint). The full player's goes first, so that removing the other, after it,
        // moves nothing on screen.
        crate::ui::browser::call_global(RETIRE);
        let _ = body.prepend_with_node_1(root);
        window.scroll_to_with_x_and_y(0.0, view.scroll);
        for (selector, top, left) in &view.scrolls {
            if let Ok(Some(element)) = root.query_selector(selector) {
                element.set_scroll_top(*top);
                element.set_scroll_left(*left);
            }
        }
        let focused = view.focus.and_then(|selector| root.query_selector(&selector).ok().flatten());
        if let Some(element) = focused.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
        // `<html data-player="full">`: the full player has taken over and listens (tests
        // wait for it before measuring a page that is about to be replaced).
        if let Some(html) = window.document().and_then(|d| d.document_element()) {
            let _ = html.set_attribute("data-player", "full");
        }
        crate::ui::browser::call_global("smtpPlaygroundReleaseInput");
    }

    /// Whether the full player is drawn out of sight, for the page it is about to take over
    /// (its first effects: what they would scroll, the swap puts back as the learner left it).
    pub fn swapping() -> bool {
        PAGE.with(|p| p.borrow().is_some())
    }

    /// Whether the full player took the page over from the player module, which has told an
    /// embedding page about the run shown (`ready`) and its step already.
    pub fn took_over() -> bool {
        TOOK_OVER.with(Cell::get)
    }

    /// The state handed over, once (the app's first render takes it).
    pub fn received_state() -> Option<State> {
        RECEIVED.with(|r| r.borrow_mut().take())
    }

    impl Handover {
        /// The full player's state, its lesson's data joined with `text`, the lesson's
        /// scenario text as fetched (a lesson whose text could not be fetched still plays,
        /// with a notice: the lab has nothing to work on).
        fn into_state(self, text: Option<Result<String, String>>) -> State {
            let mut state = State::empty(self.theme);
            let mut lost = None;
            if let Some((_, data)) = &self.lesson
                && let Ok(mut played) = serde_json::from_str::<Played>(data)
            {
                if let Some(Err(why)) = text.map(|text| with_text(&mut played, text)) {
                    lost = Some(format!("{why} It still plays, but the lab has no text to work on."));
                }
                state = state.show(Rc::new(played), self.position, Shown::Lesson);
            }
            state.position = self.position.min(state.len());
            state.playing = self.playing;
            state.speed = self.speed;
            state.crlf = self.crlf;
            state.help = self.help;
            state.picker = self.picker;
            state.intro = self.intro;
            state.presenter = self.presenter;
            state.predict = self.predict;
            state.opened = self.opened;
            state.lab = self.lab;
            state.console = self.console;
            state.notice = lost.or(self.notice);
            state.pending = self.pending;
            state.seq = self.seq;
            state.progress = crate::ui::browser::stored_progress();
            state.embed = crate::ui::browser::read_embed();
            if let Some(embed) = &mut state.embed {
                embed.autoplay = self.autoplay;
            }
            match self.recording {
                Some(json) => state.open_recording(json.into()),
                None => state,
            }
        }
    }
}

#[cfg(feature = "full")]
pub use full::{drawn, received_state, swapping, take_over, took_over};

// What code both modules share asks of the other module's side: a fixed answer here, so the
// callers need no `cfg` of their own.

/// Never: the player module takes nothing over.
#[cfg(not(feature = "full"))]
pub fn took_over() -> bool {
    false
}

/// Never: the player module draws nothing out of sight.
#[cfg(not(feature = "full"))]
pub fn swapping() -> bool {
    false
}

/// Never: the full player hands nothing over.
#[cfg(feature = "full")]
pub fn frozen() -> bool {
    false
}

/// Nothing to keep: the full player hands nothing over.
#[cfg(feature = "full")]
pub fn note(_state: &std::rc::Rc<crate::ui::state::State>) {}
