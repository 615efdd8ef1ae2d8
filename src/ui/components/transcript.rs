use std::rc::Rc;

use yew::prelude::*;

use wasm_bindgen::JsCast as _;

use super::transcript_step::TranscriptStep;
use crate::timeline::Timeline;
use crate::ui::browser;
use crate::ui::state::Action;

#[derive(Properties)]
pub struct TranscriptProps {
    pub timeline: Rc<Timeline>,
    pub position: usize,
    pub crlf: bool,
    /// The step whose annotated bytes are open.
    pub opened: Option<usize>,
    /// Names the downloaded file.
    pub name: String,
    pub on_action: Callback<Action>,
}

/// The most steps the list shows: the current one and those just before it. A hundred holds
/// every lesson's whole run (the longest has 98 steps); drawing 200 at once made stepping to
/// the end of a bulk run a task over 50 ms.
pub const MOST_ROWS: usize = 100;

/// Scrolls `list` so that its current step (`aria-current=step`) is in the middle.
fn scroll_to_current(list: &NodeRef) {
    let list = list.cast::<web_sys::HtmlElement>();
    let line = list.as_ref().and_then(|l| l.query_selector("[aria-current=step]").ok().flatten());
    if let (Some(list), Some(line)) = (list, line.and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok())) {
        let top = line.offset_top() - list.client_height() / 2 + line.offset_height() / 2;
        list.set_scroll_top(top.max(0));
    }
}

/// The transcript row (`li`) an event happened in.
fn row_of(target: Option<web_sys::EventTarget>) -> Option<web_sys::Element> {
    target?.dyn_into::<web_sys::Element>().ok()?.closest("li.step").ok().flatten()
}

/// A row's step index, from its `data-index`.
fn row_index(row: &web_sys::Element) -> Option<usize> {
    row.get_attribute("data-index")?.parse().ok()
}

/// Compares the shared timeline by pointer, not step by step (see
/// [`TranscriptStepProps`](super::transcript_step::TranscriptStepProps)'s `PartialEq`).
impl PartialEq for TranscriptProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.timeline, &other.timeline)
            && self.position == other.position
            && self.crlf == other.crlf
            && self.opened == other.opened
            && self.name == other.name
            && self.on_action == other.on_action
    }
}

/// Every step so far as `C:`/`S:` lines: a complete, accessible view of the lesson on
/// its own. Clicking a step jumps to it.
#[component(Transcript)]
pub fn transcript(props: &TranscriptProps) -> Html {
    let list = use_node_ref();
    {
        // Keep the current step in view inside the list, without scrolling the page. Reading
        // the line's offset forces a layout: done in the next animation frame, where the
        // browser lays the page out anyway, rather than synchronously in the step's task
        // (where it was the largest single cost of a step in a CPU profile). A newer step
        // cancels a frame not yet run.
        let list = list.clone();
        use_effect_with(props.position, move |_| {
            // Drawn for a takeover, the list gets the scroll the learner left it at instead.
            let kept = crate::ui::handover::swapping();
            browser::in_next_frame(Box::new(move || {
                if !kept {
                    scroll_to_current(&list);
                }
            }))
        });
    }
    let download = {
        let (timeline, name) = (props.timeline.clone(), props.name.clone());
        Callback::from(move |_: MouseEvent| {
            let text: String = timeline.transcript().iter().map(|l| format!("{l}\n")).collect();
            browser::download_text(&format!("{name}-transcript.txt"), &text);
        })
    };
    let end = props.position.min(props.timeline.steps.len());
    // Roving focus (WAI-ARIA APG): the whole list is one stop in the Tab order, the row
    // focused last or else the current step; ArrowUp and ArrowDown move between rows. Left,
    // Right, Home and End keep stepping the player, as everywhere else on the page.
    let focused = use_state_eq(|| None::<usize>);
    let active = (*focused).filter(|&i| i < end && i + MOST_ROWS >= end).or(end.checked_sub(1));
    let onfocusin = {
        let focused = focused.clone();
        Callback::from(move |event: FocusEvent| {
            if let Some(index) = row_of(event.target()).and_then(|row| row_index(&row)) {
                focused.set(Some(index));
            }
        })
    };
    let onkeydown = Callback::from(|event: KeyboardEvent| {
        let down = match event.key().as_str() {
            "ArrowDown" => true,
            "ArrowUp" => false,
            _ => return,
        };
        if event.ctrl_key() || event.alt_key() || event.meta_key() {
            return;
        }
        let Some(row) = row_of(event.target()) else { return };
        let next = if down { row.next_element_sibling() } else { row.previous_element_sibling() };
        // The same kind of button in the next row, or its jump button when it has no parts.
        let same_kind = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|e| if e.class_name().split_whitespace().any(|c| c == "parts") { ".parts" } else { ".jump" })
            .unwrap_or(".jump");
        let button = next.and_then(|next| {
            next.query_selector(same_kind)
                .ok()
                .flatten()
                .or_else(|| next.query_selector(".jump").ok().flatten())
        });
        event.prevent_default();
        if let Some(button) = button.and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = button.focus();
        }
    });
    // A run of thousands of steps (a bulk send) lists only its latest steps: rendering every
    // row made a step a task of seconds. Every lesson is far shorter than this.
    let start = end.saturating_sub(MOST_ROWS);
    let rows = (start..end).map(|index| {
        html! {
            <TranscriptStep key={index} index={index} timeline={props.timeline.clone()}
                current={index + 1 == end} active={active == Some(index)} crlf={props.crlf}
                opened={props.opened == Some(index)} on_action={props.on_action.clone()} />
        }
    });
    let announced = end
        .checked_sub(1)
        .and_then(|i| props.timeline.steps.get(i))
        .and_then(|step| step.transcript_lines().into_iter().next());
    html! {
        <section class="transcript-panel" aria-labelledby="transcript-heading">
            <header>
                <h2 id="transcript-heading">{ "Transcript" }</h2>
                <button id="crlf-toggle" aria-pressed={props.crlf.to_string()}
                    onclick={props.on_action.reform(|_| Action::ToggleCrlf)}>{ "Show CRLF" }</button>
                <button id="download" onclick={download}>{ "Download .txt" }</button>
            </header>
            <ol class="transcript" ref={list} aria-label="Transcript up to the current step"
                {onfocusin} {onkeydown}>
                if start > 0 {
                    <li class="step earlier">
                        { format!("{start} earlier {} not listed here: the scrubber reaches them, and \
                                   Download .txt has them all.", if start == 1 { "step is" } else { "steps are" }) }
                    </li>
                }
                { for rows }
            </ol>
            <p id="announcer" class="sr-only" aria-live="polite">{ announced.unwrap_or_default() }</p>
        </section>
    }
}
