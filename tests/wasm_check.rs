//! The check view (SPF, DKIM, DMARC step by step), mounted in headless Chromium: rows by
//! depth, verdict and mark chips with their words, short values whole, long ones elided with
//! the whole value one click away, and two compared values together.
#![cfg(target_arch = "wasm32")]

use smtp_playground::mailauth::check::{Check, Mark, Method, Row, Verdict};
use smtp_playground::scenario::{self, lessons};
use smtp_playground::ui::components::check::{CheckView, CheckViewProps, SHOWN_WHOLE};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[path = "support/dom.rs"]
mod dom;
use dom::{settle_until, test_root, text};

wasm_bindgen_test_configure!(run_in_browser);

fn all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let nodes = root.query_selector_all(selector).expect("selector");
    (0..nodes.length()).filter_map(|i| nodes.item(i)).filter_map(|n| n.dyn_into().ok()).collect()
}

#[wasm_bindgen_test]
async fn rows_chips_and_values_render_as_the_check_says() {
    let long = "x".repeat(SHOWN_WHOLE + 20);
    let check = Check {
        method: Method::Spf,
        verdict: Verdict::SoftFail,
        subject: vec![],
        rows: vec![
            Row::new(Some("§4.5"), "record", "example.com publishes this SPF record")
                .value("v=spf1 record", "v=spf1 ~all"),
            Row::new(Some("§5.2"), "include:_spf.example.org", "only a pass there matches here")
                .mark(Mark::NoMatch),
            Row::new(Some("§5.1"), "-all", "\"all\" matches every client")
                .depth(1)
                .mark(Mark::Match)
                .verdict(Verdict::Fail)
                .value("long", long.clone()),
            Row::new(None, "note", "two values").depth(1).value("a", "one").value("b", "two"),
            Row::new(Some("§2.6.5"), "result", "probably not allowed").verdict(Verdict::SoftFail),
        ],
    };
    let root = test_root("check-test");
    let handle =
        yew::Renderer::<CheckView>::with_root_and_props(root.clone(), CheckViewProps { check }).render();
    settle_until(|| !text(&root).is_empty()).await;

    let rows = all(&root, "ol.check-rows > li.check-row");
    assert_eq!(rows.len(), 5);
    let depths: Vec<Option<String>> = rows.iter().map(|r| r.get_attribute("data-depth")).collect();
    assert_eq!(depths, [Some("0"), Some("0"), Some("1"), Some("1"), Some("0")].map(|d| d.map(String::from)));
    // Chips: the check's own verdict first, then each row's, each with its class and word.
    let chips: Vec<(String, String)> =
        all(&root, ".verdict-chip").iter().map(|c| (c.class_name(), text(c))).collect();
    assert_eq!(chips.len(), 3, "{chips:?}");
    for (class, word) in &chips {
        assert!(class.split(' ').any(|c| c == format!("verdict-{word}")), "{class} / {word}");
    }
    assert_eq!(chips[0].1, "softfail");
    let marks: Vec<String> = all(&root, ".mark-chip").iter().map(text).collect();
    assert_eq!(marks, ["no match", "match"]);
    // A row without a section keeps its column, and sections link to RFC 7208.
    let link = root.query_selector("a.row-section").expect("query").expect("a link");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://www.rfc-editor.org/rfc/rfc7208#section-4.5")
    );
    assert_eq!(all(&root, ".row-section").len(), 5);

    // A short value is whole; a long one is elided, whole inside a closed <details>.
    let whole = all(&root, ".long-value:not(.elided) .value-text");
    assert!(whole.iter().any(|v| text(v) == "v=spf1 ~all"));
    let elided = all(&root, "details.long-value.elided");
    assert_eq!(elided.len(), 1);
    let short = elided[0].query_selector(".value-short").expect("query").expect("short");
    assert!(text(&short).contains('…') && text(&short).chars().count() < long.len(), "{}", text(&short));
    assert!(!elided[0].has_attribute("open"));
    let full = elided[0].query_selector(".value-full").expect("query").expect("full");
    assert_eq!(text(&full), long);
    let summary: web_sys::HtmlElement =
        elided[0].query_selector("summary").expect("query").expect("summary").dyn_into().expect("element");
    summary.click();
    settle_until(|| elided[0].has_attribute("open")).await;
    assert!(elided[0].has_attribute("open"), "one click opens it");

    // Two values are compared together.
    let compare = all(&root, ".row-values.compare .value-text");
    assert_eq!(compare.iter().map(text).collect::<Vec<_>>(), ["one", "two"]);
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_lessons_dkim_check_renders_every_row() {
    let lesson = lessons::get("dkim-body-changed").expect("lesson");
    let timeline = scenario::parse(lesson.source).expect("parses").run();
    let check = timeline
        .steps
        .iter()
        .find_map(|s| s.check.clone().filter(|c| c.method == Method::Dkim))
        .expect("a DKIM check");
    let count = check.rows.len();
    let root = test_root("dkim-check-test");
    let handle =
        yew::Renderer::<CheckView>::with_root_and_props(root.clone(), CheckViewProps { check: *check })
            .render();
    settle_until(|| !text(&root).is_empty()).await;
    assert_eq!(all(&root, "li.check-row").len(), count);
    assert!(text(&root).contains("DKIM check"));
    let subject: Vec<String> = all(&root, ".check-subject dd").iter().map(text).collect();
    assert_eq!(subject, ["example.com", "s2026"]);
    assert_eq!(all(&root, ".row-values.compare .long-value").len(), 2, "computed and claimed bh=");
    handle.destroy();
    root.remove();
}
