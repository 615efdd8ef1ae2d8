use std::rc::Rc;

use yew::prelude::*;

use super::lanes::breakable;
use crate::teach::journey::{MapHost, journey};
use crate::timeline::{Timeline, describe_wait};

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
    // Many hosts scroll sideways: the current step's hosts are brought into view. Measuring
    // the map forces a layout: done in the next animation frame, not in the step's task (on
    // the first load it made the first render's task 8-24 ms longer).
    let body = use_node_ref();
    {
        let active: Vec<usize> = mail.iter().enumerate().filter(|(_, h)| h.active).map(|(i, _)| i).collect();
        let body = body.clone();
        // Drawn for a takeover, out of the page: the map keeps the scroll the learner left.
        let kept = crate::ui::handover::swapping();
        use_effect_with((props.step, active), move |(_, active)| {
            let active = active.clone();
            crate::ui::browser::in_next_frame(Box::new(move || follow(&body, &active, columns, kept)))
        });
    }
    html! {
        <figure class="journey" aria-labelledby="journey-caption" style={format!("--columns:{columns}")}>
            <figcaption id="journey-caption">{ "Where the message is" }</figcaption>
            <div class="journey-body" ref={body}>
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

/// Scrolls the map sideways, if it is wider than its box, so the columns `active` are in
/// view: both when they fit, else the rightmost (a far host, the one the step is about; the
/// first columns are where a journey starts, and read at a glance).
///
/// Drawn for a takeover (`kept`), only the Tab stop is set: the handover puts back the scroll
/// the learner left; a map not in the page yet has nothing to measure.
fn follow(body: &NodeRef, active: &[usize], columns: usize, kept: bool) {
    let Some(body) = body.cast::<web_sys::HtmlElement>().filter(|b| b.is_connected()) else { return };
    let (width, view) = (body.scroll_width(), body.client_width());
    // A map that scrolls is a Tab stop, so a keyboard can scroll it too (WCAG 2.1.1).
    if width <= view {
        let _ = body.remove_attribute("tabindex");
        return;
    }
    let _ = body.set_attribute("tabindex", "0");
    if kept {
        return;
    }
    let (Some(&first), Some(&last)) = (active.first(), active.last()) else { return };
    // Equal columns across the network's width (DNS is beside it); a column's edges, with
    // some room around it.
    let net = body.first_element_child().map_or(width, |net| net.client_width());
    let column = net / columns.max(1) as i32;
    let (left, right) = (first as i32 * column, (last as i32 + 1) * column);
    let (left, right) = if right - left > view { (right - column, right) } else { (left, right) };
    let scroll = body.scroll_left();
    let room = column / 4;
    if left < scroll {
        body.set_scroll_left((left - room).max(0));
    } else if right > scroll + view {
        body.set_scroll_left(right - view + room);
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
        // A glance, in words (rounded up to the second: 9m59.68s reads "10 minutes"); the
        // queue inspector has the exact times.
        match h.next_try {
            Some(at) if at > now => {
                format!("{what}, next try in {}", describe_wait((at - now).div_ceil(1000) * 1000))
            }
            Some(_) => format!("{what}, next try due now"),
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
