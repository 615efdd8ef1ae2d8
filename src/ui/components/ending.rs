use yew::prelude::*;

use crate::scenario::format::TryNext;
use crate::timeline::Outcome;
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct EndingProps {
    pub try_next: Vec<TryNext>,
    pub outcome: Outcome,
    /// Right guesses and guesses made, in "predict the reply" mode.
    pub score: Option<(usize, usize)>,
    pub on_action: Callback<Action>,
}

/// The end of a lesson: what came of it, the score, and experiments to try next.
#[component(Ending)]
pub fn ending(props: &EndingProps) -> Html {
    let outcome = &props.outcome;
    html! {
        <section id="ending" class="ending" aria-labelledby="ending-heading">
            <h3 id="ending-heading">{ "End of the lesson" }</h3>
            if let Some((right, total)) = props.score {
                <p id="score" class="score">
                    { format!("Your score: {right} of {total} replies predicted") }
                    if total > 0 { { format!(" ({}%)", right * 100 / total) } }
                </p>
            }
            <ul class="outcome">
                { for outcome.delivered.iter().map(|(mailbox, count)| html! {
                    <li>{ format!("Delivered to {mailbox}: {count} message{}", if *count == 1 { "" } else { "s" }) }</li>
                }) }
                { for outcome.dsns.iter().map(|dsn| html! { <li>{ "Delivery report: " }{ dsn }</li> }) }
                if outcome.queued > 0 { <li>{ format!("Still queued: {}", outcome.queued) }</li> }
                if outcome.truncated { <li>{ "The run stopped at its step or time limit." }</li> }
            </ul>
            if !props.try_next.is_empty() {
                <h4>{ "Try this next" }</h4>
                <ul class="try-next">
                    { for props.try_next.iter().map(|next| match (&next.lesson, &next.hint) {
                        (Some(lesson), _) => {
                            let lesson = lesson.clone();
                            html! { <li><button class="open-lesson" data-lesson={lesson.clone()}
                                onclick={props.on_action.reform(move |_| Action::OpenLesson(lesson.clone()))}>
                                { "▶ " }{ &next.label }</button></li> }
                        }
                        (None, hint) => html! {
                            <li class="hint"><strong>{ &next.label }</strong>
                                if let Some(hint) = hint { { ": " }{ hint } }</li>
                        },
                    }) }
                </ul>
            }
        </section>
    }
}
