use std::rc::Rc;

use yew::prelude::*;

use super::progress_mark::progress_mark;
use crate::scenario::played::Topic;
use crate::ui::progress::Progress;
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    /// The lesson being played.
    pub current: Option<String>,
    /// The lessons grouped by topic, in the order of the learning path.
    pub path: Rc<Vec<Topic>>,
    pub progress: Progress,
    pub on_action: Callback<Action>,
}

/// The lessons grouped by topic, in the order of the learning path, each with its
/// description and progress mark.
#[component(Picker)]
pub fn picker(props: &PickerProps) -> Html {
    html! {
        <nav id="picker" class="picker" aria-label="Lessons">
            { for props.path.iter().map(|(topic, entries)| html! {
                <section class="topic-group">
                    <h2>{ topic }</h2>
                    <ul>
                        { for entries.iter().map(|entry| {
                            let id = entry.id.clone();
                            let current = props.current.as_deref() == Some(id.as_str());
                            html! {
                                <li>
                                    <button class="lesson" data-lesson={id.clone()} aria-current={current.then_some("page")}
                                        onclick={props.on_action.reform(move |_| Action::OpenLesson(id.clone()))}>
                                        { &entry.title }{ progress_mark(props.progress.get(&entry.id)) }
                                    </button>
                                    <p>{ &entry.description }</p>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }) }
            <section class="topic-group recordings">
                <h2>{ "Recordings" }</h2>
                <p>
                    { "Step through a real session: run " }<code>{ "smtp-playground serve --record recordings" }</code>
                    { " (or " }<code>{ "send --record FILE" }</code>{ "), let any mail client talk to it, then open \
                       the file it wrote, or drop it anywhere on this page. Passwords are masked in the file." }
                </p>
                <label class="open-recording">
                    { "Open a recording…" }
                    <input id="recording-file" type="file" data-recording="" accept=".json,application/json" />
                </label>
            </section>
        </nav>
    }
}
