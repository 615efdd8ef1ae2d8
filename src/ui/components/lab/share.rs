use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::played::Played;
use crate::scenario::service::{Answer, ExportFormat, Request};
use crate::timeline::Timeline;
use crate::ui::{browser, simulator};

#[derive(Properties, PartialEq)]
pub struct SharePanelProps {
    pub source: Rc<str>,
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    pub position: usize,
}

/// What the export menu offers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Transcript,
    Swaks,
    Python,
    Eml,
}

const FORMATS: [(Format, &str, &str); 4] = [
    (Format::Transcript, "transcript", "Transcript (text)"),
    (Format::Swaks, "swaks", "Client side as a swaks command"),
    (Format::Python, "python", "Client side as a Python smtplib script"),
    (Format::Eml, "eml", "Delivered message (.eml)"),
];

/// Sharing (a permalink carrying the scenario's text in its fragment) and exports, all made
/// by the core in the simulator worker.
#[component(SharePanel)]
pub fn share_panel(props: &SharePanelProps) -> Html {
    let link = use_state(|| None::<(String, Option<bool>)>);
    let format = use_state(|| Format::Swaks);
    let send_index = use_state(|| 0usize);
    let message_index = use_state(|| 0usize);
    let copied = use_state(|| None::<bool>);

    let share = {
        let (link, source, position) = (link.clone(), props.source.clone(), props.position);
        let known = props.played.link.clone();
        Callback::from(move |_: MouseEvent| {
            let link = link.clone();
            let shared = move |param: &str| {
                let url = browser::write_scenario_location(param, position);
                link.set(Some((url.clone(), None)));
                let (link, shown) = (link.clone(), url.clone());
                browser::copy_text(&url, move |ok| link.set(Some((shown, Some(ok)))));
            };
            match &known {
                Some(param) => shared(param),
                None => simulator::ask(&Request::Encode { source: source.to_string() }, move |answer| {
                    if let Ok(Answer::Text(param)) = answer {
                        shared(&param);
                    }
                }),
            }
        })
    };
    let sends = props.played.sends;
    // Every delivered message at the end of the run: (mailbox, index in it). Replayed once per
    // run, keyed by the timeline's address, not at every step the panel is drawn at; the memo
    // keeps the timeline, so no other run can take that address while it stands.
    let memo = {
        let timeline = props.timeline.clone();
        use_memo(Rc::as_ptr(&props.timeline) as usize, move |_| {
            let end = timeline.final_snapshot();
            let messages: Vec<(String, usize)> = end
                .mailboxes
                .values()
                .flat_map(|boxes| boxes.iter())
                .flat_map(|(name, stored)| (0..stored.len()).map(move |i| (name.clone(), i)))
                .collect();
            (timeline, messages)
        })
    };
    let messages = &memo.1;
    let chosen_message = messages.get(*message_index).or(messages.first());
    let (export, file) = match *format {
        Format::Transcript => (Some(ExportFormat::Transcript), "transcript.txt"),
        Format::Swaks => (Some(ExportFormat::Swaks(*send_index)), "send.sh"),
        Format::Python => (Some(ExportFormat::Python(*send_index)), "send.py"),
        Format::Eml => match chosen_message {
            Some((mailbox, index)) => {
                (Some(ExportFormat::Eml { mailbox: mailbox.clone(), index: *index }), "message.eml")
            }
            None => (None, ""),
        },
    };
    // The simulator writes the export; until it answers the box says so.
    let exported = use_state(|| None::<(Request, String)>);
    let request = export.map(|format| Request::Export { source: props.source.to_string(), format });
    {
        let exported = exported.clone();
        use_effect_with(request.clone(), move |request| {
            if let Some(request) = request.clone() {
                let asked = request.clone();
                simulator::ask(&asked, move |answer| {
                    let text = match answer {
                        Ok(Answer::Text(text)) => text,
                        Ok(_) => "The scenario could not be exported.\n".to_owned(),
                        Err(why) => format!("{why}\n"),
                    };
                    exported.set(Some((request, text)));
                });
            }
        });
    }
    // Download is offered only for an export the simulator has written.
    let (text, file) = match (&request, exported.as_ref()) {
        (None, _) => ("No message was delivered in this run.\n".to_owned(), String::new()),
        (Some(asked), Some((done, text))) if asked == done => (text.clone(), file.to_owned()),
        (Some(_), _) => ("Preparing the export…\n".to_owned(), String::new()),
    };
    let on_format = {
        let (format, copied) = (format.clone(), copied.clone());
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let id = select.value();
            if let Some((f, ..)) = FORMATS.iter().find(|(_, fid, _)| *fid == id) {
                format.set(*f);
                copied.set(None);
            }
        })
    };
    let index_select = |state: UseStateHandle<usize>| {
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            state.set(select.value().parse().unwrap_or(0));
        })
    };
    let copy = {
        let (copied, text) = (copied.clone(), text.clone());
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            browser::copy_text(&text, move |ok| copied.set(Some(ok)));
        })
    };
    let download = {
        let (text, file) = (text.clone(), file.clone());
        Callback::from(move |_: MouseEvent| browser::download_text(&file, &text))
    };
    let select_all = Callback::from(|event: FocusEvent| {
        let field: web_sys::HtmlInputElement = event.target_unchecked_into();
        field.select();
    });
    html! {
        <div class="lab-share">
            <h3>{ "Share" }</h3>
            <p class="lab-help">{ "A link that carries this scenario's text (edits, faults and messages included) and the step shown. The text travels after the link's #, which browsers never send to a server: only whoever opens the link sees it." }</p>
            <div class="lab-row">
                <button type="button" id="share-link" onclick={share}>{ "Share: copy the link" }</button>
            </div>
            if let Some((url, copied)) = link.as_ref() {
                <label for="share-url">{ match copied {
                    Some(true) => "Copied. The link:",
                    Some(false) => "Copy the link from here:",
                    None => "The link:",
                } }</label>
                <input id="share-url" type="text" readonly=true value={url.clone()} onfocus={select_all} />
            }
            <h3>{ "Export" }</h3>
            <div class="lab-row">
                <label for="export-format">{ "Export" }</label>
                <select id="export-format" onchange={on_format}>
                    { for FORMATS.iter().map(|(f, id, title)| html! {
                        <option value={*id} selected={*f == *format}>{ *title }</option>
                    }) }
                </select>
                if matches!(*format, Format::Swaks | Format::Python) && sends > 1 {
                    <label for="export-send">{ "Message" }</label>
                    <select id="export-send" onchange={index_select(send_index.clone())}>
                        { for (0..sends).map(|i| html! {
                            <option value={i.to_string()} selected={i == *send_index}>{ format!("[[send]] {}", i + 1) }</option>
                        }) }
                    </select>
                }
                if *format == Format::Eml && messages.len() > 1 {
                    <label for="export-message">{ "Message" }</label>
                    <select id="export-message" onchange={index_select(message_index.clone())}>
                        { for messages.iter().enumerate().map(|(i, (name, n))| html! {
                            <option value={i.to_string()} selected={i == *message_index}>{ format!("{name} #{}", n + 1) }</option>
                        }) }
                    </select>
                }
            </div>
            <textarea id="export-text" class="lab-mono" rows="12" readonly=true aria-label="Exported text"
                spellcheck="false" value={text} />
            <div class="lab-row">
                <button type="button" id="export-copy" onclick={copy}>{ "Copy" }</button>
                <button type="button" id="export-download" onclick={download} disabled={file.is_empty()}>{ "Download" }</button>
                if let Some(ok) = *copied {
                    <span role="status">{ if ok { "Copied." } else { "Copying was refused: select the text above and copy it." } }</span>
                }
            </div>
        </div>
    }
}
