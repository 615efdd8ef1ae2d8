use std::rc::Rc;

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use super::lesson_link::{lesson_href, open_on_click};
use super::progress_mark::progress_mark;
use crate::scenario::played::Topic;
use crate::ui::progress::Progress;
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct IntroProps {
    /// The learning path, topic by topic.
    pub path: Rc<Vec<Topic>>,
    pub progress: Progress,
    pub on_action: Callback<Action>,
}

/// The hosts a message passes, left to right: what each is, and its name in the RFCs.
const ROUTE: [(&str, &str); 5] = [
    ("Author's mail client", "MUA"),
    ("Submission server", "an MTA, port 587"),
    ("Recipient's MX", "an MTA found in DNS"),
    ("Mailbox", "where it waits"),
    ("Reader's mail client", "POP3 / IMAP"),
];

/// How email travels, in five steps: a lead in bold, then plain words.
const STORY: [(&str, &str); 5] = [
    (
        "You write, your mail client sends.",
        "Your mail program or webmail (a mail user agent, MUA) hands the message to your provider's \
         submission server, usually on port 587, after you log in.",
    ),
    (
        "Servers relay it.",
        "Mail servers (mail transfer agents, MTAs) pass it on. To learn where mail for example.net \
         goes, the sending server asks DNS for that domain's MX record, which names the server that \
         takes its mail.",
    ),
    (
        "The MX stores it; the reader fetches it.",
        "The recipient's MX puts the message in the mailbox. The reader's mail client fetches it \
         later over POP3 or IMAP: SMTP carries mail, it does not read it.",
    ),
    (
        "Every hop is a dialogue.",
        "The client sends a command (EHLO, MAIL FROM, RCPT TO, DATA, QUIT) and the server answers \
         with a three-digit reply: 2xx done, 3xx go on, 4xx not now, try later, 5xx no.",
    ),
    (
        "The envelope is not the letter.",
        "MAIL FROM and RCPT TO, the envelope, decide where the message goes and where problems are \
         reported. The From: and To: lines in the message are what the reader sees; servers do not \
         route by them, and they need not match.",
    ),
];

/// "Start here": how email travels, in five short steps, then the learning path with each
/// lesson's first goal and progress mark. A modal dialog: focus moves to its heading and
/// back to where it was when it closes; Esc closes it.
#[component(Intro)]
pub fn intro(props: &IntroProps) -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document());
            let before = document.as_ref().and_then(|d| d.active_element());
            if let Some(heading) = heading.cast::<web_sys::HtmlElement>() {
                let _ = heading.focus();
            }
            move || {
                // After this render: the page behind stops being inert first.
                Timeout::new(0, move || {
                    let back = before
                        .filter(|e| e.is_connected() && e.tag_name() != "BODY")
                        .or_else(|| document.and_then(|d| d.get_element_by_id("intro-toggle")));
                    if let Some(element) = back.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                        let _ = element.focus();
                    }
                })
                .forget();
            }
        });
    }
    let close = props.on_action.reform(|_: MouseEvent| Action::ToggleIntro);
    let total: usize = props.path.iter().map(|(_, lessons)| lessons.len()).sum();
    let finished = props.progress.finished();
    let resume = props.progress.first_unfinished().and_then(|lesson| {
        let summary = props.path.iter().flat_map(|(_, l)| l).find(|s| s.id == lesson)?;
        let label = if finished == 0 { "Start with the first lesson: " } else { "Continue with: " };
        Some(html! {
            <a id="intro-start" class="primary" href={lesson_href(lesson)} data-lesson={lesson}
                onclick={open_on_click(lesson, &props.on_action)}>
                { label }<strong>{ &summary.title }</strong></a>
        })
    });
    // Lessons are numbered along the whole path, across topics.
    let starts = props.path.iter().scan(1, |next, (_, lessons)| {
        let start = *next;
        *next += lessons.len();
        Some(start)
    });
    html! {
        <div class="overlay intro-overlay" onclick={close.clone()}>
            <section id="intro" class="dialog start-here" role="dialog" aria-modal="true" aria-labelledby="intro-heading"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <header class="intro-head">
                    <h2 id="intro-heading" ref={heading} tabindex="-1">{ "Start here: how email travels" }</h2>
                    <button class="close" aria-label="Close the introduction" onclick={close}>{ "✕" }</button>
                </header>
                <ol class="route" aria-label="The route of a message">
                    { for ROUTE.iter().map(|(what, name)| html! { <li>{ *what }<small>{ *name }</small></li> }) }
                </ol>
                <ol class="story">
                    { for STORY.iter().map(|(lead, text)| html! { <li><strong>{ *lead }</strong>{ " " }{ *text }</li> }) }
                </ol>
                <p class="how">{ "In each lesson, press play or → to go one step at a time: every step says \
                    what happened and why. “Predict the reply” asks you to guess each reply first." }</p>
                if let Some(resume) = resume { <p class="resume">{ resume }</p> }
                <h3 id="path-heading">{ "The learning path" }</h3>
                <p id="path-progress" class="path-progress">{ format!("{finished} of {total} lessons finished.") }</p>
                <nav class="path" aria-labelledby="path-heading">
                    { for props.path.iter().zip(starts).map(|((topic, lessons), start)| {
                        html! {
                            <section class="path-topic">
                                <h4>{ topic }</h4>
                                <ol start={start.to_string()}>
                                    { for lessons.iter().map(|lesson| {
                                        html! {
                                            <li>
                                                <a class="path-lesson" href={lesson_href(&lesson.id)} data-lesson={lesson.id.clone()}
                                                    onclick={open_on_click(&lesson.id, &props.on_action)}>{ &lesson.title }</a>
                                                { progress_mark(props.progress.get(&lesson.id)) }
                                                if let Some(goal) = lesson.goals.first() { <p class="goal">{ goal }</p> }
                                            </li>
                                        }
                                    }) }
                                </ol>
                            </section>
                        }
                    }) }
                </nav>
            </section>
        </div>
    }
}
