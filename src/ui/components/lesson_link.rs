use yew::prelude::*;

use crate::ui::state::Action;

/// The player's own address for a lesson's first step.
pub fn lesson_href(id: &str) -> String {
    format!("?lesson={id}&step=0")
}

/// A real link to a lesson (it can be opened in a new tab or copied); a plain click opens
/// the lesson in place, without reloading the page.
pub fn open_on_click(id: &str, on_action: &Callback<Action>) -> Callback<MouseEvent> {
    let id = id.to_owned();
    let on_action = on_action.clone();
    Callback::from(move |e: MouseEvent| {
        if e.button() != 0 || e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() {
            return;
        }
        e.prevent_default();
        on_action.emit(Action::OpenLesson(id.clone()));
    })
}
