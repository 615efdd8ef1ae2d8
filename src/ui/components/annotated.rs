use std::rc::Rc;

use yew::prelude::*;

use crate::teach::annotate::{CRLF_LABEL, Part, annotate, rfc_link};
use crate::timeline::StepKind;

#[derive(Properties, PartialEq)]
pub struct AnnotatedBytesProps {
    pub kind: StepKind,
    /// The step's wire text, CRLFs included.
    pub wire: String,
}

/// A citation such as `RFC 5321 §4.1.1.2` as a link to rfc-editor.org, or plain text when
/// it names no RFC.
pub fn rfc_anchor(citation: &str) -> Html {
    match rfc_link(citation) {
        Some(href) => html! {
            <a class="rfc-link" href={href} target="_blank" rel="noopener noreferrer">{ citation.to_owned() }</a>
        },
        None => html! { <span class="rfc-link">{ citation.to_owned() }</span> },
    }
}

/// The colour family of a part; the label under each segment says the same in words.
fn family(label: &str) -> &'static str {
    let first_word_is_keyword = label.split(' ').next().is_some_and(|w| {
        !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    });
    match label {
        "verb" | "POP3 command" | "status indicator" => "ab-verb",
        "reverse-path" | "forward-path" | "client name" | "server name" | "query name" => "ab-path",
        "reply code" => "ab-code",
        "enhanced status code" => "ab-enhanced",
        "header field name" => "ab-field",
        "unrecognised" | "bare LF" | "bare CR" => "ab-error",
        "SP" | ":" | "=" | "folding white space" | "continuation \"-\"" | "end of header section" => "ab-sep",
        "end of data" | "dot-stuffing" | "end-marker" | "question" | "class" | "record type" => "ab-marker",
        _ if label == CRLF_LABEL => "ab-sep",
        _ if label.starts_with("EHLO") || label.ends_with(" parameter") => "ab-param",
        _ if label.ends_with(" value") && first_word_is_keyword => "ab-param",
        _ if label.contains(" value") => "ab-value",
        _ => "ab-text",
    }
}

/// The bytes of a part made visible: spaces as `·`, tabs as `⇥`, a bare CR or LF as `\r` or
/// `\n`, other controls as `�`, the CRLF part as `↵` (glyphs every system font has).
fn visible(text: &str, part: &Part) -> String {
    if part.start == part.end {
        return "↵".into();
    }
    let shown = text.get(part.start..part.end).unwrap_or_default();
    if shown.bytes().all(|b| b == b' ') {
        return "·".repeat(shown.len());
    }
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\t' => out.push('⇥'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push('�'),
            c => out.push(c),
        }
    }
    out
}

/// Where an arrow key moves from part `at` in lines of `sizes[l]` parts each: Left and
/// Right step through the parts (across lines), Up and Down keep the column, Home and End go
/// to the ends of the line. `None` for other keys.
fn moved(sizes: &[usize], at: (usize, usize), key: &str) -> Option<(usize, usize)> {
    let (line, part) = at;
    let size = |l: usize| sizes.get(l).copied().unwrap_or(0);
    let last_line = sizes.len().checked_sub(1)?;
    Some(match key {
        "ArrowRight" if part + 1 < size(line) => (line, part + 1),
        "ArrowRight" => ((line + 1..=last_line).find(|&l| size(l) > 0).map(|l| (l, 0))).unwrap_or(at),
        "ArrowLeft" if part > 0 => (line, part - 1),
        "ArrowLeft" => (0..line).rev().find(|&l| size(l) > 0).map(|l| (l, size(l) - 1)).unwrap_or(at),
        "ArrowDown" | "ArrowUp" => {
            let target = if key == "ArrowDown" { line.checked_add(1) } else { line.checked_sub(1) };
            match target.filter(|&l| l <= last_line && size(l) > 0) {
                Some(l) => (l, part.min(size(l) - 1)),
                None => at,
            }
        }
        "Home" => (line, 0),
        "End" => (line, size(line).saturating_sub(1)),
        _ => return None,
    })
}

/// One line (or several) of wire bytes, cut into the parts the parsers recognised. Each
/// part is a button showing its bytes with its label under them; the selected part's
/// meaning and RFC section are shown below the line. The parts form one tab stop: arrow
/// keys, Home and End move between them (and select them).
#[component(AnnotatedBytes)]
pub fn annotated_bytes(props: &AnnotatedBytesProps) -> Html {
    let lines = use_memo((props.kind, props.wire.clone()), |(kind, wire)| annotate(*kind, wire));
    // The selection belongs to the lines it was made on: new bytes start unselected. (An
    // effect clearing it ran after the first render, so a click made before it was undone.)
    let key = Rc::as_ptr(&lines) as usize;
    let selection = use_state(|| None::<(usize, (usize, usize))>);
    let selected = (*selection).filter(|(made_on, _)| *made_on == key).map(|(_, part)| part);
    let refs = use_memo(lines.clone(), |lines| {
        lines
            .iter()
            .map(|line| line.parts.iter().map(|_| NodeRef::default()).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    });
    let chosen =
        selected.and_then(|(l, p)| lines.get(l).and_then(|line| line.parts.get(p).map(|part| (line, part))));
    // The one part in the tab order: the selected one, else the first.
    let tab_stop = if chosen.is_some() { selected.unwrap_or((0, 0)) } else { (0, 0) };
    let onkeydown = {
        let selection = selection.clone();
        let refs = refs.clone();
        let sizes: Vec<usize> = lines.iter().map(|line| line.parts.len()).collect();
        let any_selected = chosen.is_some();
        Callback::from(move |event: KeyboardEvent| {
            let Some(next) = moved(&sizes, tab_stop, &event.key()) else { return };
            // The first key press selects the part that has the focus.
            let next = if any_selected { next } else { tab_stop };
            event.prevent_default();
            selection.set(Some((key, next)));
            let element = refs
                .get(next.0)
                .and_then(|line| line.get(next.1))
                .and_then(|r| r.cast::<web_sys::HtmlElement>());
            if let Some(element) = element {
                let _ = element.focus();
            }
        })
    };
    html! {
        <section class="annotated" aria-label="Annotated bytes" {onkeydown}>
            <ol class="ab-lines">
                { for lines.iter().enumerate().map(|(l, line)| html! {
                    <li class="ab-line">
                        { for line.parts.iter().enumerate().map(|(p, part)| {
                            let pressed = selected == Some((l, p));
                            let onclick = {
                                let selection = selection.clone();
                                Callback::from(move |_| selection.set(Some((key, (l, p)))))
                            };
                            html! {
                                <button type="button"
                                    class={classes!("ab-seg", family(&part.label), pressed.then_some("selected"))}
                                    aria-pressed={pressed.to_string()}
                                    tabindex={if tab_stop == (l, p) { "0" } else { "-1" }}
                                    ref={refs.get(l).and_then(|line| line.get(p)).cloned().unwrap_or_default()}
                                    onclick={onclick}>
                                    <code class="ab-bytes">{ visible(&line.text, part) }</code>
                                    <span class="ab-label">{ part.label.clone() }</span>
                                </button>
                            }
                        }) }
                    </li>
                }) }
            </ol>
            <div class="ab-detail" aria-live="polite">
                { match chosen {
                    Some((line, part)) => html! {
                        <dl>
                            <dt class="ab-detail-label">{ part.label.clone() }</dt>
                            <dd class="ab-detail-bytes"><code>{ visible(&line.text, part) }</code></dd>
                            <dd class="ab-meaning">{ part.meaning.clone() }</dd>
                            { for part.rfc.as_deref().map(|rfc| html! { <dd class="ab-rfc">{ rfc_anchor(rfc) }</dd> }) }
                        </dl>
                    },
                    None => html! { <p class="ab-hint">{ "Choose a part to see what it is and which RFC defines it." }</p> },
                } }
            </div>
        </section>
    }
}
