use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::console::{CONSOLE_LANE, advertised_extensions, completions};
use crate::scenario::played::Played;
use crate::timeline::{StepKind, Timeline};
use crate::ui::state::{Action, Console};

#[derive(Properties, PartialEq)]
pub struct ConsolePanelProps {
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    pub console: Console,
    pub on_action: Callback<Action>,
}

/// A telnet-like console at one of the world's SMTP servers: each line typed re-runs the
/// world with the session so far ([`crate::scenario::console::console_scenario`], through
/// [`Action::ConsoleSend`]); the replies, and what the server then does with the mail, are
/// the run's. ↑/↓ walk the lines sent, Tab takes the first completion hint.
#[component(ConsolePanel)]
pub fn console_panel(props: &ConsolePanelProps) -> Html {
    let input = use_state(String::new);
    let cursor = use_state(|| None::<usize>);
    let servers = &props.played.servers;
    let advertised = use_memo(props.timeline.clone(), |t| advertised_extensions(t, CONSOLE_LANE));
    let server = props
        .console
        .server
        .clone()
        .filter(|s| servers.iter().any(|known| known == s))
        .or_else(|| servers.first().cloned());
    // After DATA's 354 every line is message text until a lone ".": the server's last reply
    // to the console says which mode the session is in.
    let data_mode = props
        .timeline
        .steps
        .iter()
        .rev()
        .find(|s| s.kind == StepKind::Reply && &*s.to == CONSOLE_LANE)
        .is_some_and(|s| s.code == Some(354));
    let hints = if data_mode || input.is_empty() { Vec::new() } else { completions(&input, &advertised) };

    let send = {
        let (input, cursor, on_action) = (input.clone(), cursor.clone(), props.on_action.clone());
        let (server, chosen) = (server.clone(), props.console.server.clone());
        move || {
            let Some(server) = server.clone() else { return };
            if chosen.as_ref() != Some(&server) {
                on_action.emit(Action::ConsoleServer(server));
            }
            on_action.emit(Action::ConsoleSend((*input).clone()));
            input.set(String::new());
            cursor.set(None);
        }
    };
    let onkeydown = {
        let (input, cursor, lines, hints) =
            (input.clone(), cursor.clone(), props.console.lines.clone(), hints.clone());
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Enter" => {
                event.prevent_default();
                send();
            }
            "ArrowUp" if !lines.is_empty() => {
                event.prevent_default();
                let at = cursor.map_or(lines.len() - 1, |c| c.saturating_sub(1));
                cursor.set(Some(at));
                input.set(lines.get(at).cloned().unwrap_or_default());
            }
            "ArrowDown" if cursor.is_some() => {
                event.prevent_default();
                let at = cursor.map_or(0, |c| c + 1);
                if at < lines.len() {
                    cursor.set(Some(at));
                    input.set(lines.get(at).cloned().unwrap_or_default());
                } else {
                    cursor.set(None);
                    input.set(String::new());
                }
            }
            // Tab takes a hint; with none it moves the focus as usual.
            "Tab" if !hints.is_empty() => {
                event.prevent_default();
                input.set(hints.first().cloned().unwrap_or_default());
            }
            _ => {}
        })
    };
    let oninput = {
        let input = input.clone();
        Callback::from(move |event: InputEvent| {
            let field: web_sys::HtmlInputElement = event.target_unchecked_into();
            input.set(field.value());
        })
    };
    // A pasted block of several lines is sent as it is, in one write: the way a client
    // pipelines (RFC 2920) or an attacker injects commands behind STARTTLS (RFC 3207 §4.2).
    // A single line pastes into the field as usual.
    let onpaste = {
        let (input, cursor, on_action) = (input.clone(), cursor.clone(), props.on_action.clone());
        let (server, chosen) = (server.clone(), props.console.server.clone());
        Callback::from(move |event: Event| {
            use wasm_bindgen::JsCast as _;
            let pasted = event
                .dyn_ref::<web_sys::ClipboardEvent>()
                .and_then(|e| e.clipboard_data())
                .and_then(|data| data.get_data("text/plain").ok())
                .unwrap_or_default();
            let Some(block) = pasted_block(&input, &pasted) else { return };
            event.prevent_default();
            let Some(server) = server.clone() else { return };
            if chosen.as_ref() != Some(&server) {
                on_action.emit(Action::ConsoleServer(server));
            }
            on_action.emit(Action::ConsoleSend(block));
            input.set(String::new());
            cursor.set(None);
        })
    };
    let onchange = props.on_action.reform(|event: Event| {
        let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
        Action::ConsoleServer(select.value())
    });
    let take_hint = |hint: String| {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| input.set(hint.clone()))
    };
    let session = props.timeline.steps.iter().filter(|s| {
        (&*s.from == CONSOLE_LANE || &*s.to == CONSOLE_LANE)
            && matches!(s.kind, StepKind::Command | StepKind::Reply | StepKind::Data | StepKind::TcpClose)
    });

    html! {
        <div class="lab-console">
            <p class="lab-help">{ "Type SMTP at a server of this world, one line at a time (Enter sends), \
                or paste several lines to send them in one write, as a pipelining client does. \
                The world runs again with your session in it: the lanes, the transcript and the inspectors show \
                what the server answered and what it did with the mail." }</p>
            <div class="lab-row">
                <label for="console-server">{ "Server" }</label>
                <select id="console-server" {onchange}>
                    { for servers.iter().map(|s| html! {
                        <option value={s.clone()} selected={Some(s) == server.as_ref()}>{ s.clone() }</option>
                    }) }
                </select>
                <button type="button" id="console-clear" onclick={props.on_action.reform(|_: MouseEvent| Action::ConsoleClear)}>
                    { "Clear" }
                </button>
            </div>
            <ol class="console-log" aria-label="Console session" aria-live="polite">
                { for session.flat_map(|step| {
                    let class = if step.kind == StepKind::Reply { "console-reply" } else { "console-sent" };
                    step.transcript_lines()
                        .into_iter()
                        .map(move |line| html! { <li class={classes!("console-line", class)}><code>{ line }</code></li> })
                        .chain(summary_item(step))
                }) }
            </ol>
            <div class="console-input">
                <label for="console-input">{ if data_mode { "Message text (a lone . ends it)" } else { "Command" } }</label>
                <input id="console-input" type="text" autocomplete="off" spellcheck="false"
                    value={(*input).clone()} {oninput} {onkeydown} {onpaste}
                    aria-describedby="console-hints" disabled={server.is_none()} />
            </div>
            <ul id="console-hints" class="console-hints" aria-label="Completions (Tab takes the first)">
                { for hints.iter().map(|h| html! {
                    <li><button type="button" class="console-hint" onclick={take_hint(h.clone())}><code>{ h.clone() }</code></button></li>
                }) }
            </ul>
            if servers.is_empty() { <p class="lab-error">{ "This world has no SMTP server to type at." }</p> }
        </div>
    }
}

/// The reply's one-line explanation under it.
fn summary_item(step: &crate::timeline::Step) -> Option<Html> {
    (step.kind == StepKind::Reply)
        .then(|| html! { <li class="console-explain">{ step.summary.to_string() }</li> })
}

/// What a paste of `pasted` into the field holding `typed` sends: `None` for a single line
/// (it goes into the field), else the typed text and the pasted lines joined with CRLF, in one
/// write. Line ends are made CRLF and a trailing line end is dropped (the console adds one).
pub fn pasted_block(typed: &str, pasted: &str) -> Option<String> {
    if !pasted.contains(['\r', '\n']) {
        return None;
    }
    let text = format!("{typed}{pasted}").replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_end_matches('\n');
    (!text.is_empty()).then(|| text.split('\n').collect::<Vec<_>>().join("\r\n"))
}

#[cfg(test)]
mod tests {
    use super::pasted_block;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn a_pasted_block_is_one_write_with_crlf_line_ends() {
        assert_eq!(pasted_block("", "EHLO x"), None);
        assert_eq!(
            pasted_block("", "EHLO x\nMAIL FROM:<a@b>\n").as_deref(),
            Some("EHLO x\r\nMAIL FROM:<a@b>")
        );
        assert_eq!(pasted_block("EH", "LO x\r\nQUIT\r\n").as_deref(), Some("EHLO x\r\nQUIT"));
        assert_eq!(pasted_block("", "a\rb").as_deref(), Some("a\r\nb"));
        assert_eq!(pasted_block("", "\n\n"), None);
    }
}
