use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::js_sys;
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

// The editor itself is CodeMirror (www/lab-editor.js, bundled into dist/lab-editor.js by
// scripts/build-web.sh), imported the first time the editor opens: the page never fetches it
// unless the learner edits a scenario.
#[wasm_bindgen(inline_js = "export function import_lab_editor() { \
    return import(new URL('lab-editor.js', document.baseURI).href); }")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn import_lab_editor() -> Result<js_sys::Promise, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The handle `createEditor` returns (www/lab-editor.js).
    type LabEditor;
    #[wasm_bindgen(method)]
    fn text(this: &LabEditor) -> String;
    #[wasm_bindgen(method)]
    fn load(this: &LabEditor, text: &str);
    #[wasm_bindgen(method)]
    fn mark(this: &LabEditor, line: u32, column: u32, reveal: bool);
    #[wasm_bindgen(method)]
    fn clear(this: &LabEditor);
    #[wasm_bindgen(method)]
    fn destroy(this: &LabEditor);
}

/// An editor on the page, with the callback it calls on each change (dropped after it).
struct Opened {
    editor: LabEditor,
    _on_change: Closure<dyn FnMut()>,
}

/// Imports the editor's module and makes an editor in `host` holding `text`; `on_change` is
/// called after each change (the text is read from the handle when it is needed).
async fn open_editor(
    host: &web_sys::Element,
    text: &str,
    on_change: &Closure<dyn FnMut()>,
) -> Result<LabEditor, JsValue> {
    let module = wasm_bindgen_futures::JsFuture::from(import_lab_editor()?).await?;
    let create: js_sys::Function = js_sys::Reflect::get(&module, &"createEditor".into())?.dyn_into()?;
    let options = js_sys::Object::new();
    for (name, value) in [
        ("text", JsValue::from_str(text)),
        ("id", "editor-source".into()),
        ("labelledBy", "editor-label".into()),
        ("describedBy", "editor-status".into()),
        ("onChange", on_change.as_ref().clone()),
    ] {
        js_sys::Reflect::set(&options, &name.into(), &value)?;
    }
    Ok(create.call2(&JsValue::NULL, host, &options)?.unchecked_into())
}

/// The scenario's text, editable: validated by the simulator's parser as the learner types
/// (the error's line is marked in the text and its location given), played with Run, and
/// taken back to the lesson's own text with Reset.
///
/// The text lives in the editor (CodeMirror), which lays out only the lines in view: a paste
/// of the largest scenario the Lab accepts stays inside 50 ms a task (issue 14). The page
/// reads the text back only when it checks or runs it.
#[component(EditorPanel)]
pub fn editor_panel(props: &EditorPanelProps) -> Html {
    let editor: Rc<RefCell<Option<Opened>>> = use_mut_ref(|| None);
    // The newest scenario played, for an editor that opens after it changed.
    let latest: Rc<RefCell<Rc<str>>> = use_mut_ref(|| props.source.clone());
    // The error found, and whether Run found it (its line is then scrolled into view).
    let error = use_state_eq(|| None::<(ScenarioError, bool)>);
    // Whether the editor opened: `None` while its module loads.
    let opened = use_state(|| None::<bool>);
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let busy = use_state(|| false);
    let host = use_node_ref();
    {
        let (editor, latest, host, error, timer, opened) =
            (editor.clone(), latest.clone(), host.clone(), error.clone(), timer.clone(), opened.clone());
        use_effect_with((), move |_| {
            let alive = Rc::new(Cell::new(true));
            let on_change = {
                let editor = editor.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let (editor, error) = (editor.clone(), error.clone());
                    // Replacing the timeout drops (cancels) the one pending.
                    *timer.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                        let Some(text) = editor.borrow().as_ref().map(|o| o.editor.text()) else { return };
                        simulator::ask(&Request::Check { source: text }, move |answer| match answer {
                            Ok(Answer::Invalid(e)) => error.set(Some((e, false))),
                            Ok(_) => error.set(None),
                            // The simulator did not load: Run says so.
                            Err(_) => {}
                        })
                    }));
                })
            };
            {
                let (editor, alive) = (editor.clone(), alive.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let Some(element) = host.cast::<web_sys::Element>() else { return };
                    let text = latest.borrow().clone();
                    match open_editor(&element, &text, &on_change).await {
                        Ok(made) if alive.get() => {
                            // A scenario played while the module loaded.
                            made.load(&latest.borrow());
                            *editor.borrow_mut() = Some(Opened { editor: made, _on_change: on_change });
                            opened.set(Some(true));
                        }
                        Ok(made) => made.destroy(),
                        Err(_) if alive.get() => opened.set(Some(false)),
                        Err(_) => {}
                    }
                });
            }
            move || {
                alive.set(false);
                if let Some(opened) = editor.borrow_mut().take() {
                    opened.editor.destroy();
                }
            }
        });
    }
    {
        // A new scenario played (Run, a fault, a lesson) becomes the text.
        let (editor, latest, error) = (editor.clone(), latest.clone(), error.clone());
        use_effect_with(props.source.clone(), move |source| {
            *latest.borrow_mut() = source.clone();
            if let Some(opened) = editor.borrow().as_ref() {
                opened.editor.load(source);
            }
            error.set(None);
        });
    }
    {
        // The error found (by the live check or Run) is marked in the text.
        let editor = editor.clone();
        use_effect_with((*error).clone(), move |error| {
            if let Some(opened) = editor.borrow().as_ref() {
                match error {
                    Some((e, run)) => opened.editor.mark(saturate(e.line), saturate(e.column), *run),
                    None => opened.editor.clear(),
                }
            }
        });
    }
    let run = {
        let (editor, error, timer, on_action) =
            (editor.clone(), error.clone(), timer.clone(), props.on_action.clone());
        let busy = busy.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(source) = editor.borrow().as_ref().map(|o| o.editor.text()) else { return };
            timer.borrow_mut().take();
            let (error, on_action, busy) = (error.clone(), on_action.clone(), busy.clone());
            busy.set(true);
            let request = Request::Run { lesson: None, source, console: None };
            simulator::ask(&request, move |answer| {
                busy.set(false);
                match run_of(answer) {
                    Ok(played) => {
                        error.set(None);
                        on_action.emit(Action::Show(played, 0));
                    }
                    Err(Failure::Invalid(e)) => error.set(Some((e, true))),
                    Err(Failure::Refused(why)) => on_action.emit(Action::Notice(why)),
                }
            });
        })
    };
    let reset = {
        let (editor, error, pristine, on_action) =
            (editor.clone(), error.clone(), props.pristine.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((lesson, text)) = pristine.clone() else { return };
            if let Some(opened) = editor.borrow().as_ref() {
                opened.editor.load(&text);
            }
            error.set(None);
            on_action.emit(match lesson {
                Some(id) => Action::OpenLesson(id),
                None => Action::LoadSource(text),
            });
        })
    };
    let ready = *opened == Some(true);
    let error = error.as_ref().map(|(e, _)| e);
    html! {
        <div class="lab-editor">
            <p id="editor-label" class="lab-help">{ "The scenario as text (TOML). Change it, then Run." }</p>
            // CodeMirror owns this element's children.
            <div class={classes!("editor-wrap", error.is_some().then_some("has-error"))} ref={host} />
            { match *opened {
                None => html! { <p class="loading-note" role="status">{ "Loading the editor…" }</p> },
                Some(false) => html! {
                    <p class="lab-error" role="alert">{ "The editor could not be loaded. Reload the page to try again." }</p>
                },
                Some(true) => html! {},
            } }
            <p id="editor-status" class={classes!("editor-status", error.is_some().then_some("lab-error"))} role="status">
                { match error {
                    Some(e) => format!("Line {}, column {} ({}:{}): {}", e.line, e.column, e.line, e.column, e.message),
                    None => "No errors found.".to_owned(),
                } }
            </p>
            <div class="lab-row">
                <button type="button" id="editor-run" onclick={run} disabled={*busy || !ready}>{ "Run" }</button>
                <button type="button" id="editor-reset" onclick={reset} disabled={props.pristine.is_none()}>
                    { "Reset" }
                </button>
                if *busy { <span class="loading-note" role="status">{ super::message::busy_text() }</span> }
            </div>
        </div>
    }
}

/// A line or column for the editor (they are never near `u32::MAX`).
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
