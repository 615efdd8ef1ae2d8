//! The inspectors: tabs that show the world at the current step — envelope versus header
//! fields, DNS, the relay queues, the mailboxes and the delivery status notifications.
//! Everything shown is derived by [`crate::teach::inspect`]; these components only render.

mod dns;
mod dsn;
mod envelope;
mod mailboxes;
mod queue;

use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::played::Played;
use crate::timeline::Timeline;

#[derive(Properties, PartialEq)]
pub struct InspectorsProps {
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    /// The step shown; `None` before the first step.
    pub step: Option<usize>,
}

/// The tabs, in order: `(id, title)`.
const TABS: [(&str, &str); 5] = [
    ("envelope", "Envelope vs headers"),
    ("dns", "DNS"),
    ("queue", "Queue"),
    ("mailboxes", "Mailboxes"),
    ("dsn", "DSN"),
];

/// A WAI-ARIA tablist: arrow keys, Home and End move between tabs (and select them);
/// only the selected tab is in the tab order, and its panel follows it.
#[component(Inspectors)]
pub fn inspectors(props: &InspectorsProps) -> Html {
    let selected = use_state(|| 0usize);
    let tab_refs = use_memo((), |_| TABS.map(|_| NodeRef::default()));
    let select = {
        let selected = selected.clone();
        let tab_refs = tab_refs.clone();
        Rc::new(move |index: usize| {
            selected.set(index);
            if let Some(tab) = tab_refs.get(index).and_then(|r| r.cast::<web_sys::HtmlElement>()) {
                let _ = tab.focus();
            }
        })
    };
    let onkeydown = {
        let select = select.clone();
        let current = *selected;
        Callback::from(move |event: KeyboardEvent| {
            let last = TABS.len() - 1;
            let next = match event.key().as_str() {
                "ArrowRight" => {
                    if current >= last {
                        0
                    } else {
                        current + 1
                    }
                }
                "ArrowLeft" => {
                    if current == 0 {
                        last
                    } else {
                        current - 1
                    }
                }
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            event.prevent_default();
            select(next);
        })
    };
    let (id, _) = TABS.get(*selected).copied().unwrap_or(TABS[0]);
    let panel = match id {
        "envelope" => {
            html! { <envelope::EnvelopePanel timeline={props.timeline.clone()} step={props.step} /> }
        }
        "dns" => {
            html! { <dns::DnsPanel played={props.played.clone()} timeline={props.timeline.clone()} step={props.step} /> }
        }
        "queue" => html! { <queue::QueuePanel timeline={props.timeline.clone()} step={props.step} /> },
        "mailboxes" => {
            html! { <mailboxes::MailboxesPanel timeline={props.timeline.clone()} step={props.step} /> }
        }
        _ => html! { <dsn::DsnPanel timeline={props.timeline.clone()} step={props.step} /> },
    };
    html! {
        <section class="inspectors" aria-label="Inspectors">
            <div class="insp-tabs" role="tablist" aria-label="Inspect the world" {onkeydown}>
                { for TABS.iter().enumerate().map(|(i, (tab_id, title))| {
                    let is_selected = i == *selected;
                    let onclick = { let select = select.clone(); Callback::from(move |_| select(i)) };
                    html! {
                        <button type="button" role="tab"
                            id={format!("insp-tab-{tab_id}")}
                            class={classes!("insp-tab", is_selected.then_some("selected"))}
                            aria-selected={is_selected.to_string()}
                            aria-controls={format!("insp-panel-{tab_id}")}
                            tabindex={if is_selected { "0" } else { "-1" }}
                            ref={tab_refs.get(i).cloned().unwrap_or_default()}
                            {onclick}>
                            { *title }
                        </button>
                    }
                }) }
            </div>
            <div class="insp-panel" role="tabpanel" id={format!("insp-panel-{id}")}
                aria-labelledby={format!("insp-tab-{id}")} tabindex="0">
                { panel }
            </div>
        </section>
    }
}

/// One `<dt>name</dt><dd>value</dd>` pair of a definition list.
fn row(name: &str, value: Html) -> Html {
    html! { <><dt>{ name.to_owned() }</dt><dd>{ value }</dd></> }
}

/// A message for an empty panel.
fn empty(text: &str) -> Html {
    html! { <p class="insp-empty">{ text.to_owned() }</p> }
}

/// The most cards or rows a list of an inspector shows. A bulk run has thousands, and
/// rendering every one made a step a task of a second; every lesson has far fewer.
pub(super) const MOST_SHOWN: usize = 50;

/// The last [`MOST_SHOWN`] of `all` (the latest, for a list in time order), and the line that
/// says how many are left out before them (nothing when none is).
/// `what` names one and several: `("transaction is", "transactions are")`.
fn latest<'a, T>(all: &'a [T], what: (&str, &str)) -> (&'a [T], Html) {
    let start = all.len().saturating_sub(MOST_SHOWN);
    (&all[start..], left_out(start, what, "earlier"))
}

/// The first [`MOST_SHOWN`] of `all` (a queue's head, mailboxes by name), and the line that
/// says how many are left out after them.
fn first<'a, T>(all: &'a [T], what: (&str, &str)) -> (&'a [T], Html) {
    let end = all.len().min(MOST_SHOWN);
    (&all[..end], left_out(all.len() - end, what, "more"))
}

pub(super) fn left_out(count: usize, (one, several): (&str, &str), which: &str) -> Html {
    match count {
        0 => html! {},
        1 => html! { <p class="insp-empty">{ format!("1 {which} {one} not listed here.") }</p> },
        _ => html! { <p class="insp-empty">{ format!("{count} {which} {several} not listed here.") }</p> },
    }
}
