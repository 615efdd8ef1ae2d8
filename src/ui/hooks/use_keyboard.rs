use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use crate::ui::state::{Action, State};

/// The shortcuts, as the help overlay lists them.
#[cfg(feature = "full")]
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "play or pause"),
    ("→", "next step"),
    ("←", "previous step"),
    ("Home", "first step"),
    ("End", "last step"),
    ("↑ / ↓", "previous / next line, in the transcript"),
    ("PageDown / PageUp", "next / previous step in presenter mode"),
    ("?", "show or hide this help"),
    ("Esc", "close this help"),
];

/// The action a key asks for; `presenter` enables PageUp/PageDown (presenter remotes).
fn action_for(key: &str, presenter: bool) -> Option<Action> {
    Some(match key {
        " " | "Spacebar" => Action::TogglePlay,
        "ArrowRight" => Action::Forward,
        "ArrowLeft" => Action::Back,
        "Home" => Action::First,
        "End" => Action::Last,
        "PageDown" if presenter => Action::Forward,
        "PageUp" if presenter => Action::Back,
        "?" => Action::ToggleHelp,
        "Escape" => Action::Dismiss,
        _ => return None,
    })
}

/// Listens for the player's shortcuts on the whole document. Keys typed into a text
/// field, a select or the scrubber keep their usual meaning there. While the introduction
/// is open only Esc works (it closes it): the player behind it does not move.
#[hook]
pub fn use_keyboard(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    use_effect_with((state.presenter, state.intro), move |&(presenter, intro)| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
            EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    // Handed over: the keys are the full player's, whose listener comes after
                    // this one until the player module unmounts (and skips a prevented key).
                    if crate::ui::handover::frozen() {
                        return;
                    }
                    if event.ctrl_key() || event.alt_key() || event.meta_key() || event.default_prevented() {
                        return;
                    }
                    // Fields, and widgets with their own arrow keys (annotated bytes, the
                    // inspector tabs), keep their keys.
                    let in_field =
                        event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| {
                            matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                                || e.closest(".annotated, [role=tablist]").ok().flatten().is_some()
                        });
                    if (in_field || intro) && event.key() != "Escape" {
                        return;
                    }
                    if let Some(action) = action_for(&event.key(), presenter) {
                        event.prevent_default();
                        dispatcher.dispatch(action);
                    }
                },
            )
        });
        move || drop(listener)
    });
}
