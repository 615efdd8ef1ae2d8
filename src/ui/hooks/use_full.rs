use yew::prelude::*;

use crate::ui::state::State;

/// The player module's side of the split (issue 13): once the state needs the full module
/// ([`State::needs_full`]), loads it, and it takes the page over with the state of that
/// moment ([`crate::ui::handover`]).
#[cfg(not(feature = "full"))]
#[hook]
pub fn use_full(state: &UseReducerHandle<State>) {
    crate::ui::handover::note_rendered(state);
    let dispatcher = state.dispatcher();
    use_effect_with(state.needs_full(), move |needs| {
        if *needs {
            crate::ui::handover::load_full(dispatcher);
        }
    });
}

/// The full player's side: once its first render's effects have run (its listeners are in
/// place), it may take the page over ([`crate::ui::handover::drawn`]).
#[cfg(feature = "full")]
#[hook]
pub fn use_full(_state: &UseReducerHandle<State>) {
    use_effect_with((), |_| crate::ui::handover::drawn());
}
