use std::rc::Rc;

use yew::prelude::*;

use super::check::CheckView;
use super::icon::{Glyph, icon};
use crate::timeline::{Timeline, reply_class};
use crate::ui::state::Guess;

#[derive(Properties, PartialEq)]
pub struct ExplanationProps {
    pub timeline: Rc<Timeline>,
    pub current: Option<usize>,
    /// The lesson's description, shown before the first step.
    pub description: String,
    /// What the learner can do after the lesson, listed before the first step.
    pub goals: Vec<String>,
    /// The learner's guess at this reply, in "predict the reply" mode, and if it was right.
    pub verdict: Option<(Guess, bool)>,
}

/// The current step in plain language: what happened, why, what the reply code means,
/// and where the RFC says so; for an SPF, DKIM or DMARC verdict, the check step by step.
#[component(Explanation)]
pub fn explanation(props: &ExplanationProps) -> Html {
    let Some(step) = props.current.and_then(|i| props.timeline.steps.get(i)) else {
        return html! {
            <section id="explanation" class="explanation intro" aria-label="Explanation">
                <p class="description">{ &props.description }</p>
                if !props.goals.is_empty() {
                    <h3 id="goals-heading" class="goals-heading">{ "In this lesson you will learn to:" }</h3>
                    <ul id="goals" class="goals" aria-labelledby="goals-heading">
                        { for props.goals.iter().map(|goal| html! { <li>{ goal }</li> }) }
                    </ul>
                }
                // Keys for a keyboard, taps for a touch screen (the stylesheet shows one).
                <p class="hint">
                    <span class="keys-only">{ "Press play, or → to go one step at a time. Press ? for the keyboard shortcuts." }</span>
                    <span class="touch-only">{ "Tap play to watch it all, or the next-step button beside it to go one step at a time." }</span>
                </p>
            </section>
        };
    };
    let route =
        if step.from == step.to { step.from.to_string() } else { format!("{} → {}", step.from, step.to) };
    let verdict = props.verdict.zip(step.code).map(|((guess, right), code)| {
        let said = match guess {
            Guess::Class(digit) => format!("{digit}xx"),
            Guess::Code(code) => code.to_string(),
        };
        let text = if right {
            format!("✓ Right: you said {said}, the server replied {code}.")
        } else {
            format!("✗ Not quite: you said {said}, the server replied {code}.")
        };
        html! { <p id="verdict" class={classes!("verdict", if right { "right" } else { "wrong" })}>{ text }</p> }
    });
    let links = step.rfc_links();
    html! {
        <section id="explanation" class="explanation" aria-label="Explanation">
            { for verdict }
            <p class="meta">
                <span class="kind">{ step.kind.label() }</span>{ " · " }{ route }
                if step.tls { { " · " }<span class="tls-note">{ icon(Glyph::Lock) }{ " inside TLS" }</span> }
            </p>
            <h3 class="summary">{ step.summary.as_str() }</h3>
            if !step.explanation.is_empty() { <p class="why">{ step.explanation.as_str() }</p> }
            if let Some(check) = &step.check { <CheckView check={(**check).clone()} /> }
            if let Some(code) = step.code {
                <dl class="reply-code">
                    <dt>{ "Reply code" }</dt>
                    <dd><span class="code">{ code }</span>
                        if let Some((class, meaning)) = reply_class(code) { { " — " }{ class }{ ": " }{ meaning } }
                    </dd>
                    if let Some((enhanced, meaning)) = step.enhanced_status() {
                        <dt>{ "Enhanced status code" }</dt>
                        <dd><span class="code">{ enhanced }</span>{ " — " }{ meaning }</dd>
                    }
                </dl>
            }
            if !links.is_empty() {
                <p class="rfc">{ "Defined in " }
                    { for links.into_iter().enumerate().map(|(i, link)| html! {
                        <>
                            if i > 0 { { ", " } }
                            <a href={link.url} target="_blank" rel="noopener">{ link.label }</a>
                        </>
                    }) }
                </p>
            }
        </section>
    }
}
