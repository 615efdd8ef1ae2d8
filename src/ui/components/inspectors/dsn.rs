use std::rc::Rc;

use yew::prelude::*;

use super::empty;
use crate::message::{DeliveryReport, format_date};
use crate::proto::ReplyCode;
use crate::sim::Timeline;
use crate::sim::annotate::{enhanced_meaning, reply_code_meaning};
use crate::sim::inspect::{dsns, snapshot_at};
use crate::ui::components::annotated::rfc_anchor;

#[derive(Properties, PartialEq)]
pub struct DsnPanelProps {
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// Every delivered delivery status notification, rendered as a report: the text for
/// people, each recipient's action and status explained, and what came back of the message.
#[component(DsnPanel)]
pub fn dsn_panel(props: &DsnPanelProps) -> Html {
    let found = dsns(snapshot_at(&props.timeline, props.step));
    if found.is_empty() {
        return empty("No delivery status notification has been delivered yet.");
    }
    html! {
        <div class="insp-dsns">
            { for found.iter().map(|dsn| html! {
                <article class="insp-card insp-dsn">
                    <h3>
                        { dsn.view.as_ref().ok().and_then(|v| v.subject.clone()).unwrap_or_else(|| "Delivery status notification".into()) }
                        <span class="insp-time">{ format!(" in {} on {}", dsn.mailbox, dsn.host) }</span>
                    </h3>
                    { match &dsn.view {
                        Err(error) => html! { <p class="insp-warn">{ format!("The report cannot be read: {error}") }</p> },
                        Ok(view) => html! {
                            <>
                                <h4>{ "For people" }</h4>
                                <pre class="insp-body">{ view.human.clone() }</pre>
                                <h4>{ "For programs (message/delivery-status, " }{ rfc_anchor("RFC 3464 §2") }{ ")" }</h4>
                                { report(&view.report) }
                                { for view.returned.as_ref().map(|returned| html! {
                                    <>
                                        <h4>{ "Returned message" }</h4>
                                        <pre class="insp-body">{ returned.clone() }</pre>
                                    </>
                                }) }
                            </>
                        },
                    } }
                </article>
            }) }
        </div>
    }
}

fn report(report: &DeliveryReport) -> Html {
    html! {
        <>
            <dl class="insp-fields">
                <dt>{ "Reporting-MTA" }</dt><dd>{ report.reporting_mta.to_string() }</dd>
                { for report.original_envelope_id.as_ref().map(|id| html! {
                    <><dt>{ "Original-Envelope-Id" }</dt><dd><code>{ id.clone() }</code>{ " (the sender's ENVID)" }</dd></>
                }) }
                { for report.arrival_date.map(|date| html! {
                    <><dt>{ "Arrival-Date" }</dt><dd>{ format_date(date, 0) }</dd></>
                }) }
            </dl>
            { for report.recipients.iter().map(|r| {
                let code = r.diagnostic_code.as_ref().and_then(|d| d.value().get(..3)?.parse().ok()).and_then(ReplyCode::new);
                html! {
                    <section class={classes!("insp-recipient", format!("insp-action-{}", r.action))}
                        aria-label={format!("Recipient {}", r.final_recipient.value())}>
                        <dl class="insp-fields">
                            <dt>{ "Final-Recipient" }</dt><dd>{ r.final_recipient.to_string() }</dd>
                            { for r.original_recipient.as_ref().map(|o| html! { <><dt>{ "Original-Recipient" }</dt><dd>{ o.to_string() }</dd></> }) }
                            <dt>{ "Action" }</dt><dd class="insp-action"><strong>{ r.action.to_string() }</strong></dd>
                            <dt>{ "Status" }</dt>
                            <dd class="insp-status"><code>{ r.status.to_string() }</code>{ format!(" — {} (", enhanced_meaning(r.status)) }{ rfc_anchor(r.status.defined_in()) }{ ")" }</dd>
                            { for r.remote_mta.as_ref().map(|m| html! { <><dt>{ "Remote-MTA" }</dt><dd>{ m.to_string() }</dd></> }) }
                            { for r.diagnostic_code.as_ref().map(|d| html! {
                                <>
                                    <dt>{ "Diagnostic-Code" }</dt>
                                    <dd><code>{ d.to_string() }</code>
                                        { for code.map(|c| html! { <span class="insp-note">{ format!(" — {}", reply_code_meaning(c)) }</span> }) }
                                    </dd>
                                </>
                            }) }
                            { for r.last_attempt_date.map(|date| html! { <><dt>{ "Last-Attempt-Date" }</dt><dd>{ format_date(date, 0) }</dd></> }) }
                            { for r.will_retry_until.map(|date| html! { <><dt>{ "Will-Retry-Until" }</dt><dd>{ format_date(date, 0) }</dd></> }) }
                        </dl>
                    </section>
                }
            }) }
        </>
    }
}
