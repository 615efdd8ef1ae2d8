use std::rc::Rc;

use yew::prelude::*;

use super::{MOST_SHOWN, empty, left_out};
use crate::teach::inspect::{Transaction, latest_transactions, mail_steps};
use crate::timeline::{Timeline, format_time};
use crate::ui::components::annotated::rfc_anchor;

#[derive(Properties, PartialEq)]
pub struct EnvelopePanelProps {
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// Each transfer seen so far: MAIL FROM and RCPT TO beside From:, To:, Cc:, Bcc: and
/// Subject:, and where they differ.
#[component(EnvelopePanel)]
pub fn envelope_panel(props: &EnvelopePanelProps) -> Html {
    // Where each MAIL is, found once per run (a new run is a new timeline).
    let mails = use_memo(props.timeline.clone(), |timeline| mail_steps(timeline));
    let (earlier, shown) = latest_transactions(&props.timeline, props.step, MOST_SHOWN, &mails);
    if earlier == 0 && shown.is_empty() {
        return empty("No message has been sent yet: the envelope starts with MAIL FROM.");
    }
    html! {
        <div class="insp-envelope">
            { left_out(earlier, ("transaction is", "transactions are"), "earlier") }
            { for shown.iter().map(transaction) }
        </div>
    }
}

fn transaction(t: &Transaction) -> Html {
    html! {
        <article class="insp-card">
            <h3>{ format!("{} → {}", t.client, t.server) }<span class="insp-time">{ format!(" at {}", format_time(t.time)) }</span></h3>
            <div class="insp-columns">
                // Plain groups named by their headings, not landmarks: a card per transaction
                // would repeat the same two landmark names.
                <div class="insp-group">
                    <h4>{ "Envelope (SMTP)" }</h4>
                    <dl class="insp-fields">
                        <dt>{ "MAIL FROM" }</dt>
                        <dd class={classes!((t.reverse_path == "<>").then_some("insp-null"))}><code>{ t.reverse_path.clone() }</code></dd>
                        { for t.recipients.iter().map(|r| html! {
                            <>
                                <dt>{ "RCPT TO" }</dt>
                                <dd>
                                    <code>{ r.path.clone() }</code>
                                    { for r.refused.as_ref().map(|reply| html! {
                                        <span class="insp-refused">{ format!(" refused: {reply}") }</span>
                                    }) }
                                </dd>
                            </>
                        }) }
                    </dl>
                </div>
                <div class="insp-group">
                    <h4>{ "Header fields (message)" }</h4>
                    { match &t.headers {
                        Some(headers) if !headers.fields.is_empty() => html! {
                            <dl class="insp-fields">
                                { for headers.fields.iter().map(|(name, value)| html! {
                                    <>
                                        <dt class={classes!(name.eq_ignore_ascii_case("bcc").then_some("insp-warn"))}>{ format!("{name}:") }</dt>
                                        <dd>{ value.clone() }</dd>
                                    </>
                                }) }
                            </dl>
                        },
                        Some(_) => empty("The message has no From:, To:, Cc:, Bcc: or Subject: field."),
                        None => empty("The message data has not been sent yet."),
                    } }
                </div>
            </div>
            { if t.differences.is_empty() {
                if t.complete { html! { <p class="insp-same">{ "Envelope and header fields agree." }</p> } } else { html! {} }
            } else {
                html! {
                    <ul class="insp-differences" aria-label="Differences">
                        { for t.differences.iter().map(|d| {
                            let (text, rfc) = d.explain();
                            html! { <li>{ text }{ " (" }{ rfc_anchor(rfc) }{ ")" }</li> }
                        }) }
                    </ul>
                }
            } }
        </article>
    }
}
