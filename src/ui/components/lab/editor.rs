use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use yew::prelude::*;

use crate::scenario::ScenarioError;
use crate::scenario::service::{Answer, Request};
use crate::ui::hooks::run_of;
use crate::ui::simulator;
use crate::ui::state::{Action, Failure};

/// How long typing must pause before the draft is validated.
const DEBOUNCE_MS: u32 = 300;

#[derive(Properties, PartialEq)]
pub struct EditorPanelProps {
    pub source: Rc<str>,
    pub pristine: Option<(Option<String>, Rc<str>)>,
    pub on_action: Callback<Action>,
}

/// The scenario's text, editable: validated by the simulator's parser as the learner types
/// (the error's line is marked behind the text and its location given), played with Run,
/// and taken back to the lesson's own text with Reset.
#[component(EditorPanel)]
pub fn editor_panel(props: &EditorPanelProps) -> Html {
    let draft = use_state(|| props.source.to_string());
    let error = use_state(|| None::<ScenarioError>);
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let busy = use_state(|| false);
    let backdrop = use_node_ref();
    {
        // A new scenario played (Run, a fault, a lesson) becomes the draft.
        let (draft, error) = (draft.clone(), error.clone());
        use_effect_with(props.source.clone(), move |source| {
            draft.set(source.to_string());
            error.set(None);
        });
    }
    let oninput = {
        let (draft, error, timer) = (draft.clone(), error.clone(), timer.clone());
        Callback::from(move |event: InputEvent| {
            let field: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            let text = field.value();
            draft.set(text.clone());
            let error = error.clone();
            // Replacing the timeout drops (cancels) the one pending.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                simulator::ask(&Request::Check { source: text }, move |answer| match answer {
                    Ok(Answer::Invalid(e)) => error.set(Some(e)),
                    Ok(_) => error.set(None),
                    // The simulator did not load: Run says so.
                    Err(_) => {}
                })
            }));
        })
    };
    let onscroll = {
        let backdrop = backdrop.clone();
        Callback::from(move |event: Event| {
            let field: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            if let Some(back) = backdrop.cast::<web_sys::Element>() {
                back.set_scroll_top(field.scroll_top());
                back.set_scroll_left(field.scroll_left());
            }
        })
    };
    let run = {
        let (draft, error, timer, on_action) =
            (draft.clone(), error.clone(), timer.clone(), props.on_action.clone());
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            timer.borrow_mut().take();
            let (error, on_action, busy) = (error.clone(), on_action.clone(), busy.clone());
            busy.set(true);
            let request = Request::Run { lesson: None, source: (*draft).clone(), console: None };
            simulator::ask(&request, move |answer| {
                busy.set(false);
                match run_of(answer) {
                    Ok(played) => {
                        error.set(None);
                        on_action.emit(Action::Show(played, 0));
                    }
                    Err(Failure::Invalid(e)) => error.set(Some(e)),
                    Err(Failure::Refused(why)) => on_action.emit(Action::Notice(why)),
                }
            });
        })
    };
    let reset = {
        let (draft, error, pristine, on_action) =
            (draft.clone(), error.clone(), props.pristine.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((lesson, text)) = pristine.clone() else { return };
            draft.set(text.to_string());
            error.set(None);
            on_action.emit(match lesson {
                Some(id) => Action::OpenLesson(id),
                None => Action::LoadSource(text),
            });
        })
    };
    let error_line = error.as_ref().map(|e| e.line);
    let lines = draft.split('\n').enumerate().map(|(i, line)| {
        let text = line.strip_suffix('\r').unwrap_or(line);
        let marked = match error.as_ref().filter(|_| error_line == Some(i + 1)) {
            Some(e) => {
                // The column counts characters; the mark runs from it to the line's end.
                let split = text.char_indices().nth(e.column.saturating_sub(1)).map_or(text.len(), |(at, _)| at);
                let (before, after) = text.split_at(split);
                let after = if after.is_empty() { " " } else { after };
                html! { <span class="editor-error-line">{ before.to_owned() }<mark>{ after.to_owned() }</mark></span> }
            }
            None => html! { { text.to_owned() } },
        };
        html! { <>{ marked }{ "\n" }</> }
    });
    html! {
        <div class="lab-editor">
            <label for="editor-source" class="lab-help">{ "The scenario as text (TOML). Change it, then Run." }</label>
            <div class={classes!("editor-wrap", error.is_some().then_some("has-error"))}>
                <pre class="editor-backdrop" aria-hidden="true" ref={backdrop}>{ for lines }</pre>
                <textarea id="editor-source" class="editor-text" spellcheck="false" wrap="off"
                    autocomplete="off" value={(*draft).clone()} {oninput} {onscroll}
                    aria-invalid={error.is_some().to_string()} aria-describedby="editor-status" />
            </div>
            <p id="editor-status" class={classes!("editor-status", error.is_some().then_some("lab-error"))} role="status">
                { match error.as_ref() {
                    Some(e) => format!("Line {}, column {} ({}:{}): {}", e.line, e.column, e.line, e.column, e.message),
                    None => "No errors found.".to_owned(),
                } }
            </p>
            <div class="lab-row">
                <button type="button" id="editor-run" onclick={run} disabled={*busy}>{ "Run" }</button>
                <button type="button" id="editor-reset" onclick={reset} disabled={props.pristine.is_none()}>
                    { "Reset" }
                </button>
                if *busy { <span class="loading-note" role="status">{ super::message::busy_text() }</span> }
            </div>
        </div>
    }
}
