use yew::prelude::*;

use super::{reply_meaning::ReplyMeaning, transcript::Transcript};
use crate::scenario::seed_telnet_session;
use crate::ui::state::{Action, State};

#[component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| State::new(seed_telnet_session()));
    let step = {
        let state = state.dispatcher();
        Callback::from(move |_| state.dispatch(Action::Step))
    };
    let reset = {
        let state = state.dispatcher();
        Callback::from(move |_| state.dispatch(Action::Reset))
    };
    html! {
        <main class="player">
            <header>
                <h1>{ "SMTP Playground" }</h1>
                <p class="lesson-title">{ "The seed's telnet session: HELO, MAIL FROM, RCPT TO, DATA, QUIT" }</p>
            </header>
            <div class="controls">
                <button id="step" onclick={step} disabled={state.at_end()}>{ "Step" }</button>
                <button id="reset" onclick={reset} disabled={state.position == 0}>{ "Reset" }</button>
                <span class="position">{ format!("{} / {}", state.position, state.transcript.len()) }</span>
            </div>
            <Transcript lines={state.revealed().to_vec()} />
            <ReplyMeaning code={state.current_reply_code()} />
        </main>
    }
}
