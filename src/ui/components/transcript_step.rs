use std::rc::Rc;

use yew::prelude::*;

#[cfg(feature = "full")]
use super::annotated::AnnotatedBytes;
use super::lanes::{kind_class, reply_mark};
use crate::timeline::{StepKind, Timeline};
use crate::ui::state::Action;

#[derive(Properties)]
pub struct TranscriptStepProps {
    pub index: usize,
    pub timeline: Rc<Timeline>,
    pub current: bool,
    /// Whether the row holds the transcript's one Tab stop (roving focus).
    pub active: bool,
    pub crlf: bool,
    /// Whether the step's annotated bytes are shown.
    pub opened: bool,
    pub on_action: Callback<Action>,
}

/// Compares the shared timeline by pointer, not step by step: comparing its contents once
/// per row made a render quadratic in the run's length.
impl PartialEq for TranscriptStepProps {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && Rc::ptr_eq(&self.timeline, &other.timeline)
            && self.current == other.current
            && self.active == other.active
            && self.crlf == other.crlf
            && self.opened == other.opened
            && self.on_action == other.on_action
    }
}

/// One step of the transcript: its lines, a button that jumps to it. A component of its
/// own so that a new step re-renders one row, not the whole list.
#[component(TranscriptStep)]
pub fn transcript_step(props: &TranscriptStepProps) -> Html {
    let index = props.index;
    let Some(step) = props.timeline.steps.get(index) else {
        return html! {};
    };
    // Written when the row is drawn, not for every step when the run loads (a bulk run has
    // tens of thousands); a row is drawn again only when its props change.
    let lines = step.transcript_lines();
    let mark = if step.kind == StepKind::Reply { reply_mark(step.code) } else { None };
    let class = classes!("step", kind_class(step.kind), mark.map(|m| m.0), step.tls.then_some("tls"));
    let crlf = props.crlf && step.wire.is_some();
    let tabindex = if props.active { "0" } else { "-1" };
    html! {
        <li class={class} data-index={index.to_string()} aria-current={props.current.then_some("step")}>
            <button class="jump" {tabindex} onclick={props.on_action.reform(move |_| Action::Seek(index + 1))}>
                { for lines.iter().map(|line| html! {
                    <span class="line">
                        <span class="text">{ line }</span>
                        if crlf { <span class="crlf" aria-label="CR LF">{ "␍␊" }</span> }
                    </span>
                }) }
            </button>
            if let Some(wire) = step.wire.clone() {
                <button class="parts" {tabindex} aria-expanded={props.opened.to_string()}
                    aria-label={format!("Parts of step {}", index + 1)} title="Show the parts of this line"
                    onclick={props.on_action.reform(move |_| Action::ToggleLine(index))}>{ "⋯" }</button>
                // The parts are drawn by the full module, which the first click loads.
                if props.opened { { parts(step.kind, wire) } }
            }
        </li>
    }
}

#[cfg(feature = "full")]
fn parts(kind: crate::timeline::StepKind, wire: String) -> Html {
    html! { <AnnotatedBytes {kind} {wire} /> }
}

#[cfg(not(feature = "full"))]
fn parts(_kind: crate::timeline::StepKind, _wire: String) -> Html {
    html! { <p class="loading-note" role="status">{ "Loading the parts of this line…" }</p> }
}
