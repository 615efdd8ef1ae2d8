use yew::prelude::*;

use crate::ui::state::{Action, State};

/// While playing, shows the next step after [`State::play_delay`]: one `gloo` timeout
/// per step, replaced whenever the position, the speed or the play state changes.
#[hook]
pub fn use_playback(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    let deps = (state.playing, state.position, state.speed, state.play_delay());
    use_effect_with(deps, move |&(playing, _, _, delay)| {
        let timeout = playing
            .then(|| gloo::timers::callback::Timeout::new(delay, move || dispatcher.dispatch(Action::Tick)));
        move || drop(timeout)
    });
}
