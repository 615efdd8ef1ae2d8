use std::rc::Rc;

use yew::prelude::*;

use super::check::verdict_chip;
use super::icon::{Glyph, icon};
use crate::teach::journey::{MOST_LANES, MOST_LANES_ON_A_PHONE, lanes_shown};
use crate::timeline::{Step, StepKind, Timeline, describe_wait};
use crate::ui::browser;
use crate::ui::state::LONG_WAIT;

/// How many recent steps the lanes show: enough to follow a conversation, few enough
/// to stay readable in a 300-step lesson.
const WINDOW: usize = 8;

#[derive(Properties, PartialEq)]
pub struct LanesProps {
    pub timeline: Rc<Timeline>,
    /// Steps shown so far; the last one is the current step.
    pub position: usize,
    /// How long the current message takes to travel across, in ms.
    pub travel: u32,
}

/// The CSS class for a kind of step (its shape and colour in the stylesheet).
pub fn kind_class(kind: StepKind) -> &'static str {
    match kind {
        StepKind::TcpConnect => "tcp-connect",
        StepKind::TcpRefused => "tcp-refused",
        StepKind::TcpClose => "tcp-close",
        StepKind::Command => "command",
        StepKind::Reply => "reply",
        StepKind::Data => "data",
        StepKind::TlsHandshake => "tls-handshake",
        StepKind::DnsQuery => "dns-query",
        StepKind::DnsAnswer => "dns-answer",
        StepKind::Queue => "queue",
        StepKind::Retry => "retry",
        StepKind::Dsn => "dsn",
        StepKind::Delivery => "delivery",
        StepKind::Retrieval => "retrieval",
        StepKind::ImapCommand => "imap-command",
        StepKind::ImapResponse => "imap-response",
        StepKind::Note => "note",
    }
}

/// A host name that may wrap after each dot (`<wbr>`), so a narrow lane shows it whole.
pub fn breakable(name: &str) -> Html {
    let mut parts = name.split_inclusive('.').peekable();
    html! {
        { for std::iter::from_fn(|| {
            let part = parts.next()?;
            Some(html! { <>{ part }if parts.peek().is_some() { <wbr /> }</> })
        }) }
    }
}

/// The reply class as a CSS class and a mark that does not rely on colour.
pub fn reply_mark(code: Option<u16>) -> Option<(&'static str, &'static str)> {
    Some(match code? / 100 {
        2 => ("c2", "✓"),
        3 => ("c3", "…"),
        4 => ("c4", "⟳"),
        5 => ("c5", "✗"),
        _ => return None,
    })
}

/// What a message says on its arrow: the first wire line, or the step's summary. A check's
/// verdict step says its summary, even when it shows the header fields it would have added.
fn label(step: &Step) -> String {
    match &step.wire {
        Some(wire) if step.check.is_none() => {
            let mut lines = wire.split_terminator("\r\n");
            let first = lines.next().unwrap_or_default().to_owned();
            if lines.next().is_some() { first + " …" } else { first }
        }
        _ => step.summary.to_string(),
    }
}

/// One column per host and the recent steps as messages travelling between them.
#[component(Lanes)]
pub fn lanes(props: &LanesProps) -> Html {
    let timeline = &props.timeline;
    let end = props.position.min(timeline.steps.len());
    // A world of many hosts: only those the newest steps are between (the map has them all).
    let most = if browser::narrow_window() { MOST_LANES_ON_A_PHONE } else { MOST_LANES };
    let (start, shown) = lanes_shown(timeline, end.saturating_sub(WINDOW), end, most);
    let idle = timeline.lanes.len() - shown.len();
    let lanes = shown.len().max(1);
    let lane_of = |name: &str| shown.iter().position(|&i| timeline.lanes[i].name == name).unwrap_or(0);
    let mut rows: Vec<Html> = Vec::with_capacity(2 * WINDOW + 1);
    if start > 0 {
        rows.push(html! { <li class="more" key="more">{ format!("… {start} earlier steps") }</li> });
    }
    for (i, step) in (start..end).filter_map(|i| timeline.steps.get(i).map(|s| (i, s))) {
        let (from, to) = (lane_of(&step.from), lane_of(&step.to));
        let (lo, hi) = (from.min(to), from.max(to));
        let mark = if step.kind == StepKind::Reply { reply_mark(step.code) } else { None };
        // A check's verdict: coloured by its class, and said in its word on the chip.
        let verdict = step.check.as_ref().map(|c| c.verdict);
        let class = classes!(
            "msg",
            kind_class(step.kind),
            mark.map(|m| m.0),
            verdict.map(|v| classes!("checked", v.class())),
            step.tls.then_some("tls"),
            if from == to {
                "event"
            } else if to < from {
                "rtl"
            } else {
                "ltr"
            },
            (lo * 2 >= lanes).then_some("far"),
            (i + 1 == end).then_some("current"),
        );
        let gap = i
            .checked_sub(1)
            .and_then(|p| timeline.steps.get(p))
            .map(|p| step.time.saturating_sub(p.time))
            .filter(|gap| *gap > LONG_WAIT);
        if let Some(gap) = gap {
            rows.push(html! { <li class="gap" key={format!("gap{i}")}>{ icon(Glyph::FastForward) }{ " " }{ describe_wait(gap) }{ " later" }</li> });
        }
        let text = label(step);
        rows.push(html! {
                <li class={class} key={i} style={format!("--lo:{lo};--hi:{hi}")} title={step.summary.to_string()}>
                    <span class="arrow" aria-hidden="true"></span>
                    // A tap or click focuses the label and shows it whole (a narrow lane cuts it);
                    // a verdict's label is also a Tab stop. The transcript has every line in full.
                    <span class="label" tabindex={if verdict.is_some() { "0" } else { "-1" }} title={verdict.map(|_| step.summary.to_string())}>
                        if step.tls { <span class="lock" role="img" aria-label="encrypted">{ icon(Glyph::Lock) }</span> }
                        if let Some((_, mark)) = mark { <span class="mark" aria-hidden="true">{ mark }</span> }
                        { for verdict.map(verdict_chip) }
                        { text }
                    </span>
                </li>
        });
    }
    html! {
        <section class="lanes" aria-label="Hosts and the messages between them"
            style={format!("--lanes:{lanes};--travel:{}ms", props.travel)}>
            <ol class="lane-heads">
                { for shown.iter().filter_map(|&i| timeline.lanes.get(i)).map(|lane| html! {
                    <li title={lane.ip.clone().unwrap_or_default()}>
                        <strong>{ breakable(&lane.name) }</strong>
                        <small>{ &lane.role }</small>
                    </li>
                }) }
            </ol>
            <ol class="lane-steps" aria-label="Recent steps">
                { for rows }
            </ol>
            if end == 0 { <p class="lanes-empty">{ "Nothing has happened yet: press play or → to start." }</p> }
            if idle > 0 {
                <p class="lanes-idle">
                    { format!("Showing the {} hosts in these steps; the journey map has all {}.",
                        shown.len(), timeline.lanes.len()) }
                </p>
            }
        </section>
    }
}
