use std::rc::Rc;

use yew::prelude::*;

use super::{empty, first};
use crate::teach::inspect::{MessageView, message_view, snapshot_at};
use crate::timeline::Timeline;
use crate::ui::components::annotated::rfc_anchor;

#[derive(Properties, PartialEq)]
pub struct MailboxesPanelProps {
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// Each host's mailboxes with the messages delivered so far; an opened message shows its
/// header fields with the trace fields marked, the Received: chain in hop order and the body.
#[component(MailboxesPanel)]
pub fn mailboxes_panel(props: &MailboxesPanelProps) -> Html {
    // (host, mailbox, index) of the opened message.
    let open = use_state(|| None::<(String, String, usize)>);
    let snapshot = snapshot_at(&props.timeline, props.step);
    let boxes: Vec<_> = snapshot
        .mailboxes
        .iter()
        .flat_map(|(host, boxes)| boxes.iter().map(move |(mailbox, messages)| (host, mailbox, messages)))
        .filter(|(_, _, messages)| !messages.is_empty())
        .collect();
    if boxes.is_empty() {
        // A mailbox that exists but holds nothing was emptied by a reader.
        let emptied = snapshot.mailboxes.values().any(|b| !b.is_empty());
        return empty(if emptied {
            "Every mailbox is empty: a reader's client deleted what was delivered (POP3 DELE, or IMAP \
             EXPUNGE)."
        } else {
            "No message has been delivered to a mailbox yet."
        });
    }
    let opened = open.as_ref().and_then(|(host, mailbox, index)| {
        snapshot.mailboxes.get(host).and_then(|b| b.get(mailbox)).and_then(|m| m.get(*index))
    });
    let (boxes, left_out) = first(&boxes, ("mailbox is", "mailboxes are"));
    html! {
        <div class="insp-mailboxes">
            <ul class="insp-boxes">
                { for boxes.iter().map(|&(host, mailbox, messages)| html! {
                    <li>
                        <h3>{ mailbox.clone() }<span class="insp-time">{ format!(" on {host}") }</span></h3>
                        <ul>
                            { for messages.iter().enumerate().map(|(i, message)| {
                                let key = (host.clone(), mailbox.clone(), i);
                                let is_open = open.as_ref() == Some(&key);
                                let onclick = {
                                    let open = open.clone();
                                    Callback::from(move |_| open.set(if is_open { None } else { Some(key.clone()) }))
                                };
                                html! {
                                    <li>
                                        <button type="button" class="insp-open" aria-expanded={is_open.to_string()} {onclick}>
                                            { format!("Message {} from {}", message.id, message.reverse_path) }
                                        </button>
                                        { flags_html(&message.flags) }
                                    </li>
                                }
                            }) }
                        </ul>
                    </li>
                }) }
            </ul>
            { left_out }
            { for opened.map(|message| message_html(&message_view(&message.data))) }
        </div>
    }
}

/// A message's IMAP flags, as the server keeps them (RFC 9051 §2.3.2): `\Seen` once a
/// reader fetched it and marked it read.
fn flags_html(flags: &[String]) -> Html {
    if flags.is_empty() {
        return html! {};
    }
    let words = flags.join(" ");
    let title = if flags.iter().any(|f| f == "\\Seen") {
        "IMAP flags kept on the server: \\Seen means read, on every device"
    } else {
        "IMAP flags kept on the server"
    };
    html! { <span class="insp-flags" {title}>{ format!(" flags: {words}") }</span> }
}

fn message_html(view: &MessageView) -> Html {
    html! {
        <article class="insp-card insp-message" aria-label="Opened message">
            { for view.error.as_ref().map(|e| html! { <p class="insp-warn">{ format!("The header does not parse: {e}") }</p> }) }
            { if view.hops.is_empty() { html! {} } else { html! {
                <>
                    <h4>{ "Received: chain, first hop first" }</h4>
                    <ol class="insp-hops">
                        { for view.hops.iter().map(|hop| html! {
                            <li>
                                { match &hop.error {
                                    None => html! {
                                        <>
                                            { format!("from {} by {}", hop.from, hop.by) }
                                            { for hop.with.as_ref().map(|w| format!(" with {w}")) }
                                            { for hop.id.as_ref().map(|id| format!(" id {id}")) }
                                            { for hop.for_path.as_ref().map(|f| format!(" for <{f}>")) }
                                        </>
                                    },
                                    Some(error) => html! {
                                        <>
                                            { hop.raw.clone() }
                                            <span class="insp-note">{ format!(" — not in the RFC 5321 §4.4 form: {error}") }</span>
                                        </>
                                    },
                                } }
                            </li>
                        }) }
                    </ol>
                </>
            } } }
            <h4>{ "Header fields, top to bottom" }</h4>
            <dl class="insp-fields insp-header">
                { for view.fields.iter().map(|field| {
                    let trace = field.trace.map(|t| t.describe());
                    html! {
                        <div class={classes!("insp-field", trace.is_some().then_some("insp-trace"))}>
                            <dt>{ format!("{}:", field.name) }</dt>
                            <dd>
                                { field.value.clone() }
                                { for trace.map(|(what, rfc)| html! {
                                    <span class="insp-trace-note">{ format!(" trace field — {what} (") }{ rfc_anchor(rfc) }{ ")" }</span>
                                }) }
                            </dd>
                        </div>
                    }
                }) }
            </dl>
            <h4>{ "Body" }</h4>
            <pre class="insp-body" tabindex="0">{ view.body.clone() }</pre>
        </article>
    }
}
