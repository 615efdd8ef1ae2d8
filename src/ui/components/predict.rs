use std::rc::Rc;

use yew::prelude::*;

use crate::ui::state::{Action, Guess};

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    /// The reply step held back.
    pub asking: usize,
    /// The reply codes that occur in this lesson.
    pub codes: Rc<[u16]>,
    pub on_action: Callback<Action>,
}

/// "Predict the reply": the learner picks the reply's class or exact code before it is shown.
#[component(PredictPanel)]
pub fn predict_panel(props: &PredictProps) -> Html {
    // Keyboard users land on the choices as soon as a reply is held back.
    let first = use_node_ref();
    {
        let first = first.clone();
        use_effect_with(props.asking, move |_| {
            if let Some(button) = first.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let guess = |g: Guess| props.on_action.reform(move |_: MouseEvent| Action::Guess(g));
    html! {
        <section id="predict" class="predict" aria-labelledby="predict-heading">
            <h3 id="predict-heading">{ "Predict the reply" }</h3>
            <p>{ format!("The server's next reply (step {}) is hidden. ", props.asking + 1) }
                { "What will it answer? Pick a class, or the exact code." }</p>
            <div class="choices" role="group" aria-label="Reply class">
                { for (2..=5u16).map(|digit| html! {
                    <button class="guess-class" ref={if digit == 2 { first.clone() } else { NodeRef::default() }} onclick={guess(Guess::Class(digit))}>{ format!("{digit}xx") }</button>
                }) }
            </div>
            <div class="choices" role="group" aria-label="Exact reply code">
                { for props.codes.iter().map(|&code| html! {
                    <button class="guess-code" onclick={guess(Guess::Code(code))}>{ code }</button>
                }) }
            </div>
        </section>
    }
}
