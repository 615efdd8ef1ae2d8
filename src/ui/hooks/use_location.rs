use gloo::events::EventListener;
use yew::prelude::*;

use crate::ui::browser;
use crate::ui::state::{Action, State};

/// Keeps the address bar in step with the player (`history.replaceState`, so stepping adds
/// no history entries): `?lesson=ID&step=N` for a library lesson, and for a scenario that
/// is not one (edited, with a fault or a message of the learner's, or opened from a link)
/// its permalink in the fragment, `#scenario=…&step=N`, so a reload plays the same text and
/// the text never reaches the server. A fragment changed by hand or by a pasted link
/// (`hashchange`) is played. An embedded player keeps its `?embed=1&parent=…` URL, so a
/// reload stays embedded.
#[hook]
pub fn use_location(state: &UseReducerHandle<State>) {
    let embedded = state.embed.is_some();
    let dispatcher = state.dispatcher();
    use_effect_with(embedded, move |embedded| {
        let listener = web_sys::window().filter(|_| !*embedded).map(|window| {
            EventListener::new(&window, "hashchange", move |_| {
                let fragment = browser::read_fragment();
                if let Some(param) = fragment.scenario {
                    dispatcher.dispatch(Action::OpenLink(param, fragment.step));
                }
            })
        });
        move || drop(listener)
    });
    let lesson = state.loaded.as_ref().and_then(|l| l.lesson.clone()).filter(|_| !embedded);
    // The simulator wrote the link's parameter with the run (a lesson's URL names it instead).
    let param = state.loaded.as_ref().filter(|_| !embedded).and_then(|l| l.played.link.clone());
    use_effect_with((lesson, param, state.position), |(lesson, param, position)| {
        match (lesson, param.as_ref()) {
            (Some(lesson), _) => browser::write_location(lesson, *position),
            (None, Some(param)) => {
                browser::write_scenario_location(param, *position);
            }
            (None, None) => {}
        }
    });
}
