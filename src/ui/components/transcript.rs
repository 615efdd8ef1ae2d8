use yew::prelude::*;

use crate::engine::{Side, TranscriptLine};

#[derive(Properties, PartialEq)]
pub struct TranscriptProps {
    pub lines: Vec<TranscriptLine>,
}

#[component(Transcript)]
pub fn transcript(props: &TranscriptProps) -> Html {
    html! {
        <ol class="transcript" aria-label="Transcript" aria-live="polite">
            { for props.lines.iter().map(|line| {
                let class = match line.side { Side::Client => "client", Side::Server => "server" };
                html! { <li class={class}>{ line.to_string() }</li> }
            }) }
        </ol>
    }
}
