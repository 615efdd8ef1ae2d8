use std::rc::Rc;

use yew::prelude::*;

use super::{empty, latest};
use crate::scenario::played::Played;
use crate::teach::inspect::{lookups, snapshot_at};
use crate::timeline::{Timeline, format_time};

#[derive(Properties, PartialEq)]
pub struct DnsPanelProps {
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// The zone's records, the lookups made so far and what each host has cached.
#[component(DnsPanel)]
pub fn dns_panel(props: &DnsPanelProps) -> Html {
    let asked = lookups(&props.timeline, props.step);
    let (shown, left_out) = latest(&asked, ("lookup is", "lookups are"));
    let snapshot = snapshot_at(&props.timeline, props.step);
    html! {
        <div class="insp-dns">
            <h3>{ "Lookups so far" }</h3>
            { if asked.is_empty() {
                empty("No DNS question has been asked yet.")
            } else {
                html! { <>
                    { left_out }
                    <table class="insp-table">
                        <thead><tr><th scope="col">{ "Time" }</th><th scope="col">{ "Host" }</th><th scope="col">{ "Question" }</th><th scope="col">{ "Answer" }</th></tr></thead>
                        <tbody>
                            { for shown.iter().map(|l| html! {
                                <tr>
                                    <td>{ format_time(l.time) }</td>
                                    <td>{ l.host.clone() }</td>
                                    <td><code>{ l.question.clone() }</code></td>
                                    <td>{ match &l.answer {
                                        Some(answer) => html! { <code>{ answer.clone() }</code> },
                                        None => html! { <em>{ "waiting for the answer…" }</em> },
                                    } }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </> }
            } }
            { if snapshot.dns_cache.values().any(|c| !c.is_empty()) {
                html! {
                    <>
                        <h3>{ "What each host has cached" }</h3>
                        { for snapshot.dns_cache.iter().filter(|(_, c)| !c.is_empty()).map(|(host, cache)| html! {
                            <details class="insp-cache">
                                <summary>{ format!("{host} ({} {})", cache.len(), if cache.len() == 1 { "answer" } else { "answers" }) }</summary>
                                <dl class="insp-fields">
                                    { for cache.iter().map(|(question, answer)| html! {
                                        <><dt><code>{ question.clone() }</code></dt><dd><code>{ answer.clone() }</code></dd></>
                                    }) }
                                </dl>
                            </details>
                        }) }
                    </>
                }
            } else { html! {} } }
            <h3>{ "The zone" }</h3>
            <table class="insp-table insp-zone">
                <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "Record" }</th></tr></thead>
                <tbody>
                    { for props.played.zone.iter().map(|(name, record)| html! {
                        <tr><td><code>{ name.clone() }</code></td><td><code>{ record.clone() }</code></td></tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
