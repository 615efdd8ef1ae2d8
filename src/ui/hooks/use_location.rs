use yew::prelude::*;

use crate::ui::browser;
use crate::ui::state::State;

/// Keeps `?lesson=ID&step=N` in the address bar in step with the player
/// (`history.replaceState`, so stepping adds no history entries).
#[hook]
pub fn use_location(state: &UseReducerHandle<State>) {
    // An embedded player keeps its `?embed=1&parent=…` URL: a reload stays embedded.
    let lesson = state.loaded.as_ref().and_then(|l| l.lesson.clone()).filter(|_| state.embed.is_none());
    use_effect_with((lesson, state.position), |(lesson, position)| {
        if let Some(lesson) = lesson {
            browser::write_location(lesson, *position);
        }
    });
}
