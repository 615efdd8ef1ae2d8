use yew::prelude::*;

use crate::proto::ReplyCode;

#[derive(Properties, PartialEq)]
pub struct ReplyMeaningProps {
    pub code: Option<u16>,
}

/// The meaning of the most recent reply code, in the RFC's words.
#[component(ReplyMeaning)]
pub fn reply_meaning(props: &ReplyMeaningProps) -> Html {
    let Some(code) = props.code.and_then(ReplyCode::new) else {
        return html! { <section class="reply-meaning" id="reply-meaning">{ "Press Step to open the connection." }</section> };
    };
    html! {
        <section class="reply-meaning" id="reply-meaning">
            <span class="code">{ code.get() }</span>{ " " }
            <span class="meaning">{ code.meaning() }</span>
        </section>
    }
}
