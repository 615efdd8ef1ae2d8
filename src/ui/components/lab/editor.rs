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

/// An error found in the draft, and what the backdrop needs to mark it: the text of its
/// line and the number of lines around it (taken from the text that was checked).
#[derive(Clone, PartialEq)]
struct Marked {
    error: ScenarioError,
    line: String,
    before: usize,
    after: usize,
}

impl Marked {
    fn new(error: ScenarioError, text: &str) -> Self {
        let index = error.line.saturating_sub(1);
        let line = text.split('\n').nth(index).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line).to_owned();
        let total = text.split('\n').count();
        let before = index.min(total.saturating_sub(1));
        Marked { error, line, before, after: total.saturating_sub(before + 1) }
    }

    /// The backdrop: blank lines up to the error's, that line with the error's part marked
    /// (the column counts characters; the mark runs from it to the line's end), blank lines
    /// after, so the backdrop scrolls as far as the text does.
    fn backdrop(&self) -> Html {
        let split = self
            .line
            .char_indices()
            .nth(self.error.column.saturating_sub(1))
            .map_or(self.line.len(), |(at, _)| at);
        let (before, after) = self.line.split_at(split);
        let after = if after.is_empty() { " " } else { after };
        let (above, below) = ("\n".repeat(self.before), "\n".repeat(self.after + 1));
        html! {
            <>
                { above }
                <span class="editor-error-line">{ before.to_owned() }<mark>{ after.to_owned() }</mark></span>
                { below }
            </>
        }
    }
}

/// The scenario's text, editable: validated by the simulator's parser as the learner types
/// (the error's line is marked behind the text and its location given), played with Run,
/// and taken back to the lesson's own text with Reset.
///
/// The text area is not re-rendered as the learner types: the draft lives in the element
/// (read into `draft` on each input), so a keystroke or a paste costs the page one copy of
/// the text, not a diff of its lines (issue 14: the Lab's editor within 50 ms a task).
#[component(EditorPanel)]
pub fn editor_panel(props: &EditorPanelProps) -> Html {
    let draft: Rc<RefCell<String>> = use_mut_ref(|| props.source.to_string());
    // What the text area starts with; later texts are set on the element (below).
    let initial = use_state(|| AttrValue::from(props.source.clone()));
    let marked = use_state_eq(|| None::<Marked>);
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let busy = use_state(|| false);
    let field = use_node_ref();
    let backdrop = use_node_ref();
    {
        // A new scenario played (Run, a fault, a lesson) becomes the draft.
        let (draft, marked, field) = (draft.clone(), marked.clone(), field.clone());
        use_effect_with(props.source.clone(), move |source| {
            if *draft.borrow() != **source {
                *draft.borrow_mut() = source.to_string();
                if let Some(area) = field.cast::<web_sys::HtmlTextAreaElement>() {
                    area.set_value(source);
                }
            }
            marked.set(None);
        });
    }
    let oninput = {
        let (draft, marked, timer) = (draft.clone(), marked.clone(), timer.clone());
        Callback::from(move |event: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            *draft.borrow_mut() = area.value();
            let (draft, marked) = (draft.clone(), marked.clone());
            // Replacing the timeout drops (cancels) the one pending.
            *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                let text = draft.borrow().clone();
                simulator::ask(&Request::Check { source: text.clone() }, move |answer| match answer {
                    Ok(Answer::Invalid(e)) => marked.set(Some(Marked::new(e, &text))),
                    Ok(_) => marked.set(None),
                    // The simulator did not load: Run says so.
                    Err(_) => {}
                })
            }));
        })
    };
    let onscroll = {
        let backdrop = backdrop.clone();
        Callback::from(move |event: Event| {
            let area: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            if let Some(back) = backdrop.cast::<web_sys::Element>() {
                back.set_scroll_top(area.scroll_top());
                back.set_scroll_left(area.scroll_left());
            }
        })
    };
    let run = {
        let (draft, marked, timer, on_action) =
            (draft.clone(), marked.clone(), timer.clone(), props.on_action.clone());
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            timer.borrow_mut().take();
            let (marked, on_action, busy) = (marked.clone(), on_action.clone(), busy.clone());
            busy.set(true);
            let source = draft.borrow().clone();
            let request = Request::Run { lesson: None, source: source.clone(), console: None };
            simulator::ask(&request, move |answer| {
                busy.set(false);
                match run_of(answer) {
                    Ok(played) => {
                        marked.set(None);
                        on_action.emit(Action::Show(played, 0));
                    }
                    Err(Failure::Invalid(e)) => marked.set(Some(Marked::new(e, &source))),
                    Err(Failure::Refused(why)) => on_action.emit(Action::Notice(why)),
                }
            });
        })
    };
    let reset = {
        let (draft, marked, field, pristine, on_action) =
            (draft.clone(), marked.clone(), field.clone(), props.pristine.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((lesson, text)) = pristine.clone() else { return };
            *draft.borrow_mut() = text.to_string();
            if let Some(area) = field.cast::<web_sys::HtmlTextAreaElement>() {
                area.set_value(&text);
            }
            marked.set(None);
            on_action.emit(match lesson {
                Some(id) => Action::OpenLesson(id),
                None => Action::LoadSource(text),
            });
        })
    };
    let error = marked.as_ref().map(|m| &m.error);
    html! {
        <div class="lab-editor">
            <label for="editor-source" class="lab-help">{ "The scenario as text (TOML). Change it, then Run." }</label>
            <div class={classes!("editor-wrap", error.is_some().then_some("has-error"))}>
                <pre class="editor-backdrop" aria-hidden="true" ref={backdrop}>
                    { for marked.as_ref().map(Marked::backdrop) }
                </pre>
                <textarea id="editor-source" class="editor-text" spellcheck="false" wrap="off"
                    autocomplete="off" ref={field} defaultvalue={(*initial).clone()} {oninput} {onscroll}
                    aria-invalid={error.is_some().to_string()} aria-describedby="editor-status" />
            </div>
            <p id="editor-status" class={classes!("editor-status", error.is_some().then_some("lab-error"))} role="status">
                { match error {
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
