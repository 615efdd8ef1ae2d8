use yew::prelude::*;

use crate::scenario::{self, lessons};
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    /// The lesson being played.
    pub current: Option<String>,
    pub on_action: Callback<Action>,
}

/// One lesson as the picker lists it.
#[derive(PartialEq)]
struct Entry {
    id: &'static str,
    title: String,
    description: String,
}

/// The lessons grouped by topic, in library order, each with its description.
fn groups() -> Vec<(String, Vec<Entry>)> {
    let mut groups: Vec<(String, Vec<Entry>)> = Vec::new();
    for lesson in lessons::ALL {
        let Ok(parsed) = scenario::parse(lesson.source) else { continue };
        let topic = parsed.topic.unwrap_or_else(|| "Other".into());
        let entry = Entry { id: lesson.id, title: parsed.title, description: parsed.description };
        match groups.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, entries)) => entries.push(entry),
            None => groups.push((topic, vec![entry])),
        }
    }
    groups
}

#[component(Picker)]
pub fn picker(props: &PickerProps) -> Html {
    let groups = use_memo((), |_| groups());
    html! {
        <nav id="picker" class="picker" aria-label="Lessons">
            { for groups.iter().map(|(topic, entries)| html! {
                <section class="topic-group">
                    <h2>{ topic }</h2>
                    <ul>
                        { for entries.iter().map(|entry| {
                            let id = entry.id;
                            let current = props.current.as_deref() == Some(id);
                            html! {
                                <li>
                                    <button class="lesson" data-lesson={id} aria-current={current.then_some("page")}
                                        onclick={props.on_action.reform(move |_| Action::OpenLesson(id.to_owned()))}>
                                        { &entry.title }
                                    </button>
                                    <p>{ &entry.description }</p>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }) }
        </nav>
    }
}
