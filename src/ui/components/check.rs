use yew::prelude::*;

use crate::mailauth::check::{Check, Fact, Mark, Row, Verdict, elide};

/// Characters of a long value shown whole; longer ones are shown elided, whole one click away.
pub const SHOWN_WHOLE: usize = 56;

/// Characters of an elided value: its head and tail.
const ELIDED: usize = 36;

#[derive(Properties, PartialEq)]
pub struct CheckViewProps {
    pub check: Check,
}

/// A verdict as a chip: its word, coloured by its class (`verdict-fail`).
pub fn verdict_chip(verdict: Verdict) -> Html {
    html! { <span class={classes!("chip", "verdict-chip", verdict.class())}>{ verdict.word() }</span> }
}

fn mark_chip(mark: Mark) -> Html {
    html! { <span class={classes!("chip", "mark-chip", mark.class())}>{ mark.word() }</span> }
}

/// A long value: whole when short, else elided, with the whole value (selectable) one click
/// away in a `<details>`.
fn value_view(value: &Fact) -> Html {
    match elide(&value.value, ELIDED).filter(|_| value.value.chars().count() > SHOWN_WHOLE) {
        None => html! {
            <div class="long-value">
                <span class="value-label">{ &value.label }</span>
                <code class="value-text">{ &value.value }</code>
            </div>
        },
        Some(short) => html! {
            <details class="long-value elided">
                <summary>
                    <span class="value-label">{ &value.label }</span>
                    <code class="value-short">{ short }</code>
                    <span class="value-more">{ format!("show all {} characters", value.value.chars().count()) }</span>
                </summary>
                <code class="value-text value-full">{ &value.value }</code>
            </details>
        },
    }
}

/// A row: its section, its label and what happened on one line when they fit, its chips at
/// the end, and its long values under them.
fn row_view(check: &Check, row: &Row) -> Html {
    let section = match row.section.as_deref() {
        Some(section) => match check.method.section_link(section) {
            Some(link) => html! {
                <a class="row-section" href={link.url} target="_blank" rel="noopener" title={link.label.clone()}
                    aria-label={link.label}>{ section.to_owned() }</a>
            },
            None => html! { <span class="row-section">{ section.to_owned() }</span> },
        },
        None => html! { <span class="row-section"></span> },
    };
    let compare = row.values.len() > 1;
    html! {
        <li class={classes!("check-row", row.verdict.map(Verdict::class))}
            style={format!("--depth:{}", row.depth.min(8))} data-depth={row.depth.to_string()}>
            { section }
            <p class="row-body">
                <span class="row-label">{ &row.label }</span>{ " " }
                <span class="row-text">{ &row.text }</span>
            </p>
            if row.mark.is_some() || row.verdict.is_some() {
                <span class="row-chips">
                    { for row.mark.map(mark_chip) }
                    { for row.verdict.map(verdict_chip) }
                </span>
            }
            if !row.values.is_empty() {
                <div class={classes!("row-values", compare.then_some("compare"))}>
                    { for row.values.iter().map(value_view) }
                </div>
            }
        </li>
    }
}

/// One verification, step by step: the method and its verdict, what was checked, and a row
/// for each term, tag or step, indented by depth, with the RFC section that asks for it.
#[component(CheckView)]
pub fn check_view(props: &CheckViewProps) -> Html {
    let check = &props.check;
    let name = check.method.name();
    html! {
        <section class={classes!("check", check.verdict.class())} aria-label={format!("{name} check, step by step")}>
            <header class="check-head">
                <h4 class="check-title">{ format!("{name} check") }</h4>
                { verdict_chip(check.verdict) }
            </header>
            if !check.subject.is_empty() {
                <dl class="check-subject">
                    { for check.subject.iter().map(|fact| html! {
                        <div><dt>{ &fact.label }</dt><dd>{ &fact.value }</dd></div>
                    }) }
                </dl>
            }
            <ol class="check-rows">
                { for check.rows.iter().map(|row| row_view(check, row)) }
            </ol>
        </section>
    }
}
