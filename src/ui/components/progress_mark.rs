use yew::prelude::*;

use crate::ui::progress::Mark;

/// A lesson's progress as the picker and the learning path show it: ✓ when finished, ★ and
/// the score when every reply was predicted (☆ and the best score otherwise). The symbols
/// are hidden from screen readers, which read the words instead; nothing is told by colour
/// alone. A plain function, like [`super::icon::icon`]: no state, nothing to compare.
pub fn progress_mark(mark: Mark) -> Html {
    if mark.is_empty() {
        return html! {};
    }
    let predicted = mark.predicted.map(|(right, of)| {
        let all = mark.all_predicted();
        let words = if all {
            format!("all {of} replies predicted")
        } else {
            format!("{right} of {of} replies predicted")
        };
        html! {
            <span class={classes!("mark-predicted", all.then_some("all"))} title={words.clone()}>
                <span aria-hidden="true">{ if all { "★ " } else { "☆ " } }{ format!("{right}/{of}") }</span>
                <span class="sr-only">{ format!(" ({words})") }</span>
            </span>
        }
    });
    html! {
        <span class="marks">
            if mark.finished {
                <span class="mark-finished" title="Finished">
                    <span aria-hidden="true">{ "✓" }</span><span class="sr-only">{ " (finished)" }</span>
                </span>
            }
            { for predicted }
        </span>
    }
}
