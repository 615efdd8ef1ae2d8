use std::rc::Rc;

use yew::prelude::*;

use super::{empty, first};
use crate::teach::inspect::{next_retry, snapshot_at, time_at};
use crate::timeline::Timeline;

#[derive(Properties, PartialEq)]
pub struct QueuePanelProps {
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// Each relay's queue: the messages waiting, their attempts, the next retry and the last error.
#[component(QueuePanel)]
pub fn queue_panel(props: &QueuePanelProps) -> Html {
    let snapshot = snapshot_at(&props.timeline, props.step);
    let now = time_at(&props.timeline, props.step);
    let queues: Vec<_> = snapshot.queues.iter().filter(|(_, q)| !q.is_empty()).collect();
    if queues.is_empty() {
        return empty("No queue holds a message at this point.");
    }
    html! {
        <div class="insp-queue">
            { for queues.into_iter().map(|(host, messages)| html! {
                <section class="insp-card" aria-label={format!("Queue of {host}")}>
                    <h3>{ format!("Queue of {host}") }</h3>
                    <table class="insp-table">
                        <thead><tr>
                            <th scope="col">{ "Message" }</th><th scope="col">{ "Envelope" }</th>
                            <th scope="col">{ "Attempts" }</th><th scope="col">{ "Next retry" }</th><th scope="col">{ "Last error" }</th>
                        </tr></thead>
                        <tbody>
                            { for first(messages, ("message is", "messages are")).0.iter().map(|m| html! {
                                <tr>
                                    <td><code>{ m.id.clone() }</code></td>
                                    <td><code>{ format!("{} → {}", m.reverse_path, m.recipients.join(", ")) }</code></td>
                                    <td>{ m.attempts }</td>
                                    <td>{ m.next_attempt.map_or_else(|| "being delivered".to_owned(), |next| next_retry(next, now)) }</td>
                                    <td class={classes!(m.last_error.is_some().then_some("insp-warn"))}>{ m.last_error.clone().unwrap_or_else(|| "—".into()) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    { first(messages, ("message is", "messages are")).1 }
                </section>
            }) }
        </div>
    }
}
