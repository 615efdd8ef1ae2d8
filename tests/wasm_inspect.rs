//! The annotated bytes and the inspectors, mounted in headless Chromium for the lesson
//! dsn-notify at its last step, asserted on the DOM a learner sees.
// The annotated parts and inspectors are the full player's (issue 13): `--features full`.
#![cfg(all(target_arch = "wasm32", feature = "full"))]

use smtp_playground::scenario::played::Played;
use smtp_playground::timeline::StepKind;
use smtp_playground::ui::components::annotated::{AnnotatedBytes, AnnotatedBytesProps};
use smtp_playground::ui::components::inspectors::{Inspectors, InspectorsProps};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[path = "support/dom.rs"]
mod dom;
use dom::{settle_until, test_root, text};

wasm_bindgen_test_configure!(run_in_browser);

/// Clicks the first element matching `selector` whose text contains `containing`.
fn click(root: &web_sys::Element, selector: &str, containing: &str) {
    let nodes = root.query_selector_all(selector).expect("selector");
    let found = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|el| el.text_content().unwrap_or_default().contains(containing));
    found.unwrap_or_else(|| panic!("no {selector} containing {containing:?}")).click();
}

#[wasm_bindgen_test]
async fn annotated_mail_command_labels_each_parameter_and_links_its_rfc() {
    let root = test_root("annotated-test");
    let props = AnnotatedBytesProps {
        kind: StepKind::Command,
        wire: "MAIL FROM:<alice@example.com> SIZE=111 RET=HDRS ENVID=QQ314159\r\n".into(),
    };
    let handle = yew::Renderer::<AnnotatedBytes>::with_root_and_props(root.clone(), props).render();
    settle_until(|| !text(&root).is_empty()).await;
    let labels: Vec<String> = {
        let nodes = root.query_selector_all(".ab-seg .ab-label").expect("labels");
        (0..nodes.length()).filter_map(|i| nodes.item(i)).filter_map(|n| n.text_content()).collect()
    };
    for label in ["verb", "reverse-path", "SIZE parameter", "SIZE value", "RET value", "ENVID value", "CRLF"]
    {
        assert!(labels.iter().any(|l| l == label), "{label} in {labels:?}");
    }
    assert!(text(&root).contains("Choose a part"));
    click(&root, "button.ab-seg", "SIZE value");
    settle_until(|| text(&root).contains("111 octets")).await;
    let detail = root.query_selector(".ab-detail").expect("query").expect("detail");
    assert!(text(&detail).contains("the message is 111 octets"), "{}", text(&detail));
    let link = detail.query_selector("a.rfc-link").expect("query").expect("an RFC link");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://www.rfc-editor.org/rfc/rfc1870#section-6")
    );
    let pressed = root.query_selector("button.ab-seg[aria-pressed=true]").expect("query").expect("pressed");
    assert!(text(&pressed).contains("111"));
    // One tab stop for all the parts (arrow keys move between them): the selected one.
    assert_eq!(root.query_selector_all("button.ab-seg[tabindex=\"0\"]").expect("query").length(), 1);
    assert_eq!(pressed.get_attribute("tabindex").as_deref(), Some("0"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn inspectors_show_the_envelope_the_received_chain_and_the_dsn() {
    let played = Rc::new(Played::lesson("dsn-notify").expect("lesson"));
    let timeline = Rc::new(played.timeline.clone());
    let last = timeline.steps.len().checked_sub(1);
    let root = test_root("inspectors-test");
    let props = InspectorsProps { played, timeline, step: last };
    let handle = yew::Renderer::<Inspectors>::with_root_and_props(root.clone(), props).render();
    settle_until(|| !text(&root).is_empty()).await;

    // A tablist with five tabs; the first is selected and in the tab order.
    let tabs = root.query_selector_all("[role=tablist] [role=tab]").expect("tabs");
    assert_eq!(tabs.length(), 5);
    let selected = root.query_selector("[role=tab][aria-selected=true]").expect("query").expect("selected");
    assert_eq!(selected.get_attribute("tabindex").as_deref(), Some("0"));
    let panel = root.query_selector("[role=tabpanel]").expect("query").expect("panel");
    assert_eq!(panel.get_attribute("aria-labelledby"), Some(selected.id()));

    // Envelope versus headers: carol is refused at the MX; the DSNs go out with MAIL FROM:<>.
    let shown = text(&root);
    assert!(shown.contains("laptop.example.com → smtp.example.com"), "{shown}");
    assert!(shown.contains("refused: 550 5.1.1"), "{shown}");
    assert!(shown.contains("the null reverse-path"), "{shown}");

    // The DSN tab: the failure report with its status explained.
    let before = text(&root);
    click(&root, "[role=tab]", "DSN");
    settle_until(|| text(&root) != before).await;
    let shown = text(&root);
    assert!(shown.contains("Undelivered Mail Returned to Sender"), "{shown}");
    assert!(shown.contains("5.1.1: Bad destination mailbox address"), "{shown}");
    assert!(shown.contains("rfc822; carol@example.net"), "{shown}");
    assert!(shown.contains("Original-Envelope-Id"), "{shown}");
    assert!(root.query_selector(".insp-recipient.insp-action-failed").expect("query").is_some());

    // The mailboxes tab: bob's message with its Received: chain in hop order.
    let before = text(&root);
    click(&root, "[role=tab]", "Mailboxes");
    settle_until(|| text(&root) != before).await;
    let before = text(&root);
    click(&root, "button.insp-open", "from <alice@example.com>");
    settle_until(|| text(&root) != before).await;
    let hops = root.query_selector_all(".insp-hops li").expect("hops");
    assert_eq!(hops.length(), 2);
    let first = hops.item(0).and_then(|n| n.text_content()).unwrap_or_default();
    assert!(first.starts_with("from laptop.example.com by smtp.example.com"), "{first}");
    let trace = root.query_selector_all(".insp-field.insp-trace").expect("trace fields");
    assert!(trace.length() >= 3, "Return-Path and two Received fields are marked");

    // DNS: the zone and the lookups made.
    let before = text(&root);
    click(&root, "[role=tab]", "DNS");
    settle_until(|| text(&root) != before).await;
    let shown = text(&root);
    assert!(shown.contains("example.net. IN MX ?") && shown.contains("MX 10 mx.example.net"), "{shown}");
    handle.destroy();
    root.remove();
}

/// Issue 14: at the step where the relay writes the DSN, the DSN tab shows that report, on
/// its way to the sender, instead of saying none was delivered.
#[wasm_bindgen_test]
async fn the_dsn_tab_shows_a_report_as_soon_as_it_is_written() {
    let played = Rc::new(Played::lesson("retries-exhausted").expect("lesson"));
    let timeline = Rc::new(played.timeline.clone());
    let written = timeline.steps.iter().position(|s| s.kind == StepKind::Dsn && s.wire.is_some());
    assert!(written.is_some(), "retries-exhausted writes a DSN");
    let root = test_root("inspectors-dsn-written-test");
    let props = InspectorsProps { played, timeline, step: written };
    let handle = yew::Renderer::<Inspectors>::with_root_and_props(root.clone(), props).render();
    settle_until(|| !text(&root).is_empty()).await;
    let before = text(&root);
    click(&root, "[role=tab]", "DSN");
    settle_until(|| text(&root) != before).await;
    let shown = text(&root);
    assert!(shown.contains("written by smtp.example.com, on its way to the sender"), "{shown}");
    assert!(root.query_selector(".insp-recipient.insp-action-failed").expect("query").is_some(), "{shown}");
    assert!(!shown.contains("No delivery status notification"), "{shown}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn before_the_first_step_the_inspectors_are_empty() {
    let played = Rc::new(Played::lesson("retry-later").expect("lesson"));
    let timeline = Rc::new(played.timeline.clone());
    let root = test_root("inspectors-empty-test");
    let props = InspectorsProps { played, timeline: timeline.clone(), step: None };
    let handle = yew::Renderer::<Inspectors>::with_root_and_props(root.clone(), props).render();
    settle_until(|| !text(&root).is_empty()).await;
    assert!(text(&root).contains("No message has been sent yet"));
    let before = text(&root);
    click(&root, "[role=tab]", "Queue");
    settle_until(|| text(&root) != before).await;
    assert!(text(&root).contains("No queue holds a message"));
    handle.destroy();
    root.remove();
}
