use std::rc::Rc;

use yew::prelude::*;

use super::{empty, row};
use crate::message::{DeliveryReport, format_date};
use crate::proto::ReplyCode;
use crate::teach::annotate::{enhanced_meaning, reply_code_meaning};
use crate::teach::inspect::{FoundDsn, dsns, snapshot_at, written_dsns};
use crate::timeline::Timeline;
use crate::ui::components::annotated::rfc_anchor;

#[derive(Properties, PartialEq)]
pub struct DsnPanelProps {
    pub timeline: Rc<Timeline>,
    pub step: Option<usize>,
}

/// Every delivery status notification delivered so far, and those written but still on
/// their way to the sender, rendered as a report: the text for people, each recipient's
/// action and status explained, and what came back of the message.
#[component(DsnPanel)]
pub fn dsn_panel(props: &DsnPanelProps) -> Html {
    let delivered = dsns(&snapshot_at(&props.timeline, props.step));
    let written = written_dsns(&props.timeline, props.step);
    if delivered.is_empty() && written.is_empty() {
        return empty("No delivery status notification has been written yet.");
    }
    let where_ = |dsn: &FoundDsn, arrived: bool| {
        if arrived {
            format!(" in {} on {}", dsn.mailbox, dsn.host)
        } else {
            format!(" written by {}, on its way to the sender", dsn.host)
        }
    };
    let found = delivered.iter().map(|d| (d, true)).chain(written.iter().map(|d| (d, false)));
    html! {
        <div class="insp-dsns">
            { for found.map(|(dsn, arrived)| html! {
                <article class="insp-card insp-dsn">
                    <h3>
                        { dsn.view.as_ref().ok().and_then(|v| v.subject.clone()).unwrap_or_else(|| "Delivery status notification".into()) }
                        <span class="insp-time">{ where_(dsn, arrived) }</span>
                    </h3>
                    { match &dsn.view {
                        Err(error) => html! { <p class="insp-warn">{ format!("The report cannot be read: {error}") }</p> },
                        Ok(view) => html! {
                            <>
                                <h4>{ "For people" }</h4>
                                <pre class="insp-body" tabindex="0">{ view.human.clone() }</pre>
                                <h4>{ "For programs (message/delivery-status, " }{ rfc_anchor("RFC 3464 §2") }{ ")" }</h4>
                                { report(&view.report) }
                                { for view.returned.as_ref().map(|returned| html! {
                                    <>
                                        <h4>{ "Returned message" }</h4>
                                        <pre class="insp-body" tabindex="0">{ returned.clone() }</pre>
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
    let date = |seconds: i64| html! { { format_date(seconds, 0) } };
    html! {
        <>
            <dl class="insp-fields">
                { row("Reporting-MTA", html! { { report.reporting_mta.to_string() } }) }
                { for report.original_envelope_id.as_ref().map(|id| {
                    row("Original-Envelope-Id", html! { <><code>{ id.clone() }</code>{ " (the sender's ENVID)" }</> })
                }) }
                { for report.arrival_date.map(|d| row("Arrival-Date", date(d))) }
            </dl>
            { for report.recipients.iter().map(|r| {
                let code = r.diagnostic_code.as_ref().and_then(|d| d.value().get(..3)?.parse().ok()).and_then(ReplyCode::new);
                html! {
                    <section class={classes!("insp-recipient", format!("insp-action-{}", r.action))}
                        aria-label={format!("Recipient {}", r.final_recipient.value())}>
                        <dl class="insp-fields">
                            { row("Final-Recipient", html! { { r.final_recipient.to_string() } }) }
                            { for r.original_recipient.as_ref().map(|o| row("Original-Recipient", html! { { o.to_string() } })) }
                            { row("Action", html! { <strong class="insp-action">{ r.action.to_string() }</strong> }) }
                            { row("Status", html! {
                                <span class="insp-status">
                                    <code>{ r.status.to_string() }</code>
                                    { format!(" — {} (", enhanced_meaning(r.status)) }{ rfc_anchor(r.status.defined_in()) }{ ")" }
                                </span>
                            }) }
                            { for r.remote_mta.as_ref().map(|m| row("Remote-MTA", html! { { m.to_string() } })) }
                            { for r.diagnostic_code.as_ref().map(|d| row("Diagnostic-Code", html! {
                                <>
                                    <code>{ d.to_string() }</code>
                                    { for code.map(|c| html! { <span class="insp-note">{ format!(" — {}", reply_code_meaning(c)) }</span> }) }
                                </>
                            })) }
                            { for r.last_attempt_date.map(|d| row("Last-Attempt-Date", date(d))) }
                            { for r.will_retry_until.map(|d| row("Will-Retry-Until", date(d))) }
                        </dl>
                    </section>
                }
            }) }
        </>
    }
}
