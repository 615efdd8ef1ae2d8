use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::service::Request;
use crate::ui::browser;
use crate::ui::hooks::run_of;
use crate::ui::simulator;
use crate::ui::state::{Action, Failure};

#[derive(Properties, PartialEq)]
pub struct MessagePanelProps {
    pub source: Rc<str>,
    pub on_action: Callback<Action>,
}

/// "Bring your own message": an `.eml` pasted or opened is sent through the current world
/// by its first client, as a mail client would ([`crate::scenario::edit::with_eml`], in the
/// simulator); the player then shows the
/// end of the run, where the inspectors hold its envelope, headers and Received chain.
#[component(MessagePanel)]
pub fn message_panel(props: &MessagePanelProps) -> Html {
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    // Waiting for the simulator (its first start fetches it): said beside the button.
    let busy = use_state(|| false);
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let field: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            text.set(field.value());
        })
    };
    let onchange = {
        let (text, error) = (text.clone(), error.clone());
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let (text, error) = (text.clone(), error.clone());
            browser::read_file(&input, move |_, contents| {
                text.set(contents);
                error.set(None);
            });
        })
    };
    let send = {
        let (text, error, source, on_action) =
            (text.clone(), error.clone(), props.source.clone(), props.on_action.clone());
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            let (error, on_action, busy) = (error.clone(), on_action.clone(), busy.clone());
            busy.set(true);
            let request = Request::Eml { source: source.to_string(), eml: (*text).clone() };
            simulator::ask(&request, move |answer| match run_of(answer) {
                Ok(played) => {
                    busy.set(false);
                    error.set(None);
                    on_action.emit(Action::Show(played, usize::MAX));
                }
                Err(Failure::Invalid(e)) => {
                    busy.set(false);
                    error.set(Some(format!("Line {}, column {}: {}", e.line, e.column, e.message)))
                }
                Err(Failure::Refused(why)) => {
                    busy.set(false);
                    error.set(Some(why))
                }
            });
        })
    };
    html! {
        <div class="lab-message">
            <p class="lab-help">{ "Paste a message (RFC 5322: header fields, a blank line, the body) or open an .eml \
                file, then send it through this world. MAIL FROM comes from Sender: or From:, RCPT TO from To:, Cc: and \
                Bcc:, and Bcc: is removed from what is sent." }</p>
            <div class="lab-row">
                <label for="eml-file">{ "Open an .eml file" }</label>
                <input id="eml-file" type="file" accept=".eml,message/rfc822,text/plain" {onchange} />
            </div>
            <label for="eml-text">{ "Message" }</label>
            <textarea id="eml-text" class="lab-mono" rows="10" spellcheck="false" value={(*text).clone()} {oninput} />
            if let Some(e) = error.as_ref() { <p id="eml-error" class="lab-error" role="alert">{ e.clone() }</p> }
            <div class="lab-row">
                <button type="button" id="eml-send" onclick={send} disabled={text.trim().is_empty() || *busy}>
                    { "Send through the world" }
                </button>
                if *busy { <span class="loading-note" role="status">{ busy_text() }</span> }
            </div>
        </div>
    }
}

/// What the page waits for after a click that needs the simulator.
pub fn busy_text() -> &'static str {
    if simulator::ready() { "Running the world…" } else { "Starting the simulator…" }
}
