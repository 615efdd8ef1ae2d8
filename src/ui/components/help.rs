use yew::prelude::*;

use crate::ui::hooks::SHORTCUTS;
use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_action: Callback<Action>,
}

/// The keyboard shortcuts, as a modal dialog; `?` or Esc closes it.
#[component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let close = use_node_ref();
    {
        let close = close.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    html! {
        <div class="overlay" onclick={props.on_action.reform(|_| Action::ToggleHelp)}>
            <div id="help" class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-heading"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="help-heading">{ "Keyboard shortcuts" }</h2>
                <dl class="shortcuts">
                    { for SHORTCUTS.iter().map(|(key, what)| html! {
                        <><dt><kbd>{ *key }</kbd></dt><dd>{ *what }</dd></>
                    }) }
                </dl>
                <button ref={close} onclick={props.on_action.reform(|_| Action::ToggleHelp)}>{ "Close" }</button>
            </div>
        </div>
    }
}
