use yew::prelude::*;

use super::lesson_link::{lesson_href, open_on_click};
use crate::scenario::format::TryNext;
use crate::timeline::Outcome;
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct EndingProps {
    pub try_next: Vec<TryNext>,
    pub outcome: Outcome,
    /// Right guesses and guesses made, in "predict the reply" mode.
    pub score: Option<(usize, usize)>,
    /// What the lesson taught, in two or three lines.
    pub recap: Option<String>,
    /// The next lesson on the learning path: its id and title.
    pub next: Option<(&'static str, String)>,
    /// This was the last lesson on the path.
    pub path_done: bool,
    pub on_action: Callback<Action>,
}

/// The end of a lesson: what came of it, the score, what was learned, the next lesson on
/// the learning path and experiments to try next.
/// The most mailboxes the outcome names one by one (a bulk run delivers to a thousand; the
/// rest are counted in one line).
const MOST_MAILBOXES: usize = 10;

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[component(Ending)]
pub fn ending(props: &EndingProps) -> Html {
    let outcome = &props.outcome;
    html! {
        <section id="ending" class="ending" aria-labelledby="ending-heading">
            <h3 id="ending-heading">{ "End of the lesson" }</h3>
            if let Some((right, total)) = props.score {
                <p id="score" class="score">
                    { format!("Your score: {right} of {total} replies predicted") }
                    if total > 0 { { format!(" ({}%)", percent(right, total)) } }
                </p>
            }
            <ul class="outcome">
                { for outcome.delivered.iter().take(MOST_MAILBOXES).map(|(mailbox, count)| html! {
                    <li>{ format!("Delivered to {mailbox}: {count} message{}", plural(*count)) }</li>
                }) }
                if let Some(more) = outcome.delivered.len().checked_sub(MOST_MAILBOXES).filter(|&n| n > 0) {
                    <li>{ {
                        let messages: usize = outcome.delivered.values().skip(MOST_MAILBOXES).sum();
                        format!("Delivered to {more} more mailbox{}: {messages} message{}",
                            if more == 1 { "" } else { "es" }, plural(messages))
                    } }</li>
                }
                { for outcome.dsns.iter().map(|dsn| html! { <li>{ "Delivery report: " }{ dsn }</li> }) }
                if outcome.queued > 0 { <li>{ format!("Still queued: {}", outcome.queued) }</li> }
                if outcome.truncated { <li>{ "The run stopped at its step or time limit." }</li> }
            </ul>
            if let Some(recap) = &props.recap {
                <h4 id="recap-heading">{ "What you learned" }</h4>
                <p id="recap" class="recap">{ recap }</p>
            }
            if let Some((id, title)) = &props.next {
                <p class="next-lesson">
                    <a id="next-lesson" href={lesson_href(id)} data-lesson={*id} onclick={open_on_click(id, &props.on_action)}>
                        { "Next lesson: " }<strong>{ title }</strong><span aria-hidden="true">{ "\u{a0}→" }</span></a>
                </p>
            } else if props.path_done {
                <p class="next-lesson path-done">{ "This was the last lesson of the learning path. " }
                    <button id="open-path" onclick={props.on_action.reform(|_| Action::ToggleIntro)}>
                        { "See the whole path" }</button></p>
            }
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

/// `part` of `total` in whole percent, rounded to the nearest (7 of 16 is 44%, not 43%).
pub fn percent(part: usize, total: usize) -> usize {
    if total == 0 { 0 } else { (part * 200 + total) / (total * 2) }
}

#[cfg(test)]
mod tests {
    use super::percent;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn percentages_round_to_the_nearest() {
        assert_eq!(percent(7, 16), 44);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(16, 16), 100);
        assert_eq!(percent(0, 16), 0);
        assert_eq!(percent(1, 0), 0);
    }
}
