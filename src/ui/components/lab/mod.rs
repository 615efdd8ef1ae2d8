//! The lab (issue 7): type SMTP at a server of the world, edit the scenario, send your own
//! message through it, share it as a link and export it. Every change goes back to the
//! player as a run of the simulator worker ([`crate::ui::simulator`]), so the lanes,
//! transcript, explanations and inspectors show it like any lesson. The protocol work is the
//! core's ([`crate::scenario::service`] answers in the worker); these components only ask.

mod console;
mod editor;
mod message;
mod share;
mod whatif;

use std::rc::Rc;

use yew::prelude::*;

pub use whatif::WhatIf;

use crate::scenario::played::Played;
use crate::timeline::Timeline;
use crate::ui::state::{Action, Console, LabTab};
use crate::ui::{browser, simulator};

#[derive(Properties, PartialEq)]
pub struct LabProps {
    pub tab: LabTab,
    pub source: Rc<str>,
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    pub console: Console,
    pub pristine: Option<(Option<String>, Rc<str>)>,
    pub position: usize,
    pub on_action: Callback<Action>,
}

const TABS: [(LabTab, &str, &str); 4] = [
    (LabTab::Console, "console", "Console"),
    (LabTab::Editor, "editor", "Editor"),
    (LabTab::Message, "message", "Message"),
    (LabTab::Share, "share", "Share & export"),
];

/// The lab's tabs and the open one's panel.
#[component(Lab)]
pub fn lab(props: &LabProps) -> Html {
    // Opening the lab fetches and starts the simulator, once.
    use_effect_with((), |_| simulator::warm());
    let current = TABS.iter().position(|(t, ..)| *t == props.tab).unwrap_or(0);
    let (_, id, _) = TABS.get(current).copied().unwrap_or(TABS[0]);
    // WAI-ARIA tabs: arrows, Home and End select a tab and move the focus to it.
    let onkeydown = props.on_action.reform(move |event: KeyboardEvent| {
        let last = TABS.len() - 1;
        let next = match event.key().as_str() {
            "ArrowRight" => (current + 1) % TABS.len(),
            "ArrowLeft" => current.checked_sub(1).unwrap_or(last),
            "Home" => 0,
            "End" => last,
            _ => current,
        };
        let (tab, tab_id, _) = TABS.get(next).copied().unwrap_or(TABS[0]);
        if next != current {
            event.prevent_default();
            browser::focus_id(&format!("lab-tab-{tab_id}"));
        }
        Action::Lab(Some(tab))
    });
    let panel = match props.tab {
        LabTab::Console => html! {
            <console::ConsolePanel played={props.played.clone()}
                timeline={props.timeline.clone()} console={props.console.clone()} on_action={props.on_action.clone()} />
        },
        LabTab::Editor => html! {
            <editor::EditorPanel source={props.source.clone()} pristine={props.pristine.clone()}
                on_action={props.on_action.clone()} />
        },
        LabTab::Message => html! {
            <message::MessagePanel source={props.source.clone()} on_action={props.on_action.clone()} />
        },
        LabTab::Share => html! {
            <share::SharePanel source={props.source.clone()} played={props.played.clone()}
                timeline={props.timeline.clone()} position={props.position} />
        },
    };
    html! {
        <section id="lab" class="lab" aria-label="Lab">
            <div class="lab-head">
                <div class="lab-tabs" role="tablist" aria-label="Lab" {onkeydown}>
                    { for TABS.iter().map(|&(tab, tab_id, title)| {
                        let selected = tab == props.tab;
                        html! {
                            <button type="button" role="tab" id={format!("lab-tab-{tab_id}")}
                                class={classes!("lab-tab", selected.then_some("selected"))}
                                aria-selected={selected.to_string()} aria-controls={format!("lab-panel-{tab_id}")}
                                tabindex={if selected { "0" } else { "-1" }}
                                onclick={props.on_action.reform(move |_: MouseEvent| Action::Lab(Some(tab)))}>
                                { title }
                            </button>
                        }
                    }) }
                </div>
                <button type="button" class="lab-close" aria-label="Close the lab"
                    onclick={props.on_action.reform(|_: MouseEvent| Action::Lab(None))}>{ "×" }</button>
            </div>
            <div class="lab-panel" role="tabpanel" id={format!("lab-panel-{id}")} aria-labelledby={format!("lab-tab-{id}")}>
                { panel }
            </div>
        </section>
    }
}
