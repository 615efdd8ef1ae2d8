use std::rc::Rc;

use yew::prelude::*;

use super::lanes::breakable;
use crate::teach::inspect::next_retry;
use crate::teach::journey::{MapHost, journey};
use crate::timeline::Timeline;

#[derive(Properties)]
pub struct JourneyMapProps {
    pub timeline: Rc<Timeline>,
    /// The step shown (`None` before the first).
    pub step: Option<usize>,
}

/// Compares the shared lesson data by pointer (see `TranscriptStepProps`).
impl PartialEq for JourneyMapProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.timeline, &other.timeline) && self.step == other.step
    }
}

/// The hosts as a small network above the lanes: the mail's hosts in a row joined by the
/// links they have used (thick where the message crossed, red and broken where refused), DNS
/// aside; on each host what it holds now: the message, a queue with its next try, a mailbox.
/// Many hosts scroll sideways; every label wraps rather than being cut.
#[component(JourneyMap)]
pub fn journey_map(props: &JourneyMapProps) -> Html {
    let map = journey(&props.timeline, props.step);
    // The mail's hosts in a row, one column each (by lane index); DNS resolvers aside.
    let (mail, dns): (Vec<&MapHost>, Vec<&MapHost>) = map.hosts.iter().partition(|h| !h.dns);
    let lanes: Vec<usize> = map.hosts.iter().enumerate().filter(|(_, h)| !h.dns).map(|(i, _)| i).collect();
    let column = |lane: usize| lanes.iter().position(|&l| l == lane);
    let columns = mail.len().max(1);
    let links = map.links.iter().filter_map(|link| {
        let (a, b) = (column(link.a)?, column(link.b)?);
        // In a viewBox two units per column, integers only (formatting floats would add
        // kilobytes to the page): centres at odd x, the row's middle at y = 1.
        let (xa, xb) = (2 * a + 1, 2 * b + 1);
        // Neighbours are joined straight; farther hosts by an arc under the row.
        let d =
            if b == a + 1 { format!("M{xa} 1 L{xb} 1") } else { format!("M{xa} 1 C{xa} 2 {xb} 2 {xb} 1") };
        let class = classes!(
            "jlink",
            link.carried.then_some("carried"),
            link.tls.then_some("tls"),
            link.refused.then_some("refused"),
            link.current.then_some("current"),
        );
        Some(html! { <path class={class} d={d} vector-effect="non-scaling-stroke" /> })
    });
    let now = map.now;
    html! {
        <figure class="journey" aria-labelledby="journey-caption" style={format!("--columns:{columns}")}>
            <figcaption id="journey-caption">{ "Where the message is" }</figcaption>
            <div class="journey-body">
                <div class="journey-net">
                    <svg class="journey-links" viewBox={format!("0 0 {} 2", 2 * columns)} preserveAspectRatio="none"
                        aria-hidden="true" focusable="false">
                        { for links }
                    </svg>
                    <ol class="journey-hosts">
                        { for mail.iter().map(|h| host(h, now)) }
                    </ol>
                </div>
                if !dns.is_empty() {
                    <ol class="journey-dns" aria-label="Asked on the side">
                        { for dns.iter().map(|h| host(h, now)) }
                    </ol>
                }
            </div>
        </figure>
    }
}

/// One host: its name (wrapping at dots), role, and what it holds or suffers now, in words.
fn host(h: &MapHost, now: u64) -> Html {
    let class = classes!(
        "jhost",
        h.holds.then_some("holds"),
        h.active.then_some("active"),
        h.down.then_some("down"),
        (h.queued > 0).then_some("queueing"),
    );
    let queue = (h.queued > 0).then(|| {
        let what = if h.queued == 1 {
            "1 message queued".to_owned()
        } else {
            format!("{} messages queued", h.queued)
        };
        match h.next_try {
            Some(at) => format!("{what}, next try {}", next_retry(at, now)),
            None => what,
        }
    });
    html! {
        <li class={class} aria-current={h.active.then_some("true")}>
            <strong class="jname">{ breakable(&h.name) }</strong>
            <small class="jrole">{ &h.role }</small>
            if h.holds { <span class="jbadge jhere">{ "✉ the message is here" }</span> }
            if h.down { <span class="jbadge jdown">{ "✗ refused a connection" }</span> }
            if let Some(queue) = queue { <span class="jbadge jqueue">{ "◆ " }{ queue }</span> }
            if h.stored > 0 {
                <span class="jbadge jstored">{ if h.stored == 1 { "● 1 message stored".to_owned() } else { format!("● {} messages stored", h.stored) } }</span>
            }
        </li>
    }
}
