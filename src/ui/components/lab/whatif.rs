use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::service::{self, Request};
use crate::sim::whatif::connect_target;
use crate::timeline::{Millis, StepKind, Timeline};
use crate::ui::hooks::run_of;
use crate::ui::simulator;
use crate::ui::state::{Action, Failure};

/// The replies offered, as they go on the wire (code, enhanced code, text).
const REPLIES: [&str; 5] = [
    "451 4.7.1 Try again later",
    "450 4.2.0 Mailbox temporarily unavailable",
    "550 5.1.1 No such user here",
    "552 5.3.4 Message too big for system",
    "554 5.7.1 Message refused by policy",
];

/// How long an MX host may be down.
const DOWNTIMES: [(Millis, &str); 4] =
    [(300_000, "5 minutes"), (1_800_000, "30 minutes"), (3_600_000, "1 hour"), (14_400_000, "4 hours")];

#[derive(Properties, PartialEq)]
pub struct WhatIfProps {
    pub source: Rc<str>,
    pub timeline: Rc<Timeline>,
    /// The step shown; `None` before the first.
    pub current: Option<usize>,
    /// The scenario's `[[fault]]`s in file order, in words.
    pub faults: Vec<String>,
    /// Whether the run holds a console session: its commands are not in the text, so a
    /// fault counted against them would strike elsewhere once the text is played alone.
    pub console: bool,
    pub on_action: Callback<Action>,
}

/// "What if…": asks the simulator to inject a fault at the current step into the scenario's
/// text and play it again from the same step ([`Request::AddFault`]); the faults of the text
/// are listed with Undo ([`Request::RemoveFault`]).
#[component(WhatIf)]
pub fn what_if(props: &WhatIfProps) -> Html {
    let choice = use_state(|| "reply".to_owned());
    let reply = use_state(|| REPLIES[0].to_owned());
    let custom = use_state(|| "451 4.3.0 Custom temporary failure".to_owned());
    let downtime = use_state(|| DOWNTIMES[2].0);
    let error = use_state(|| None::<String>);

    let step = props.current.and_then(|i| props.timeline.steps.get(i).map(|s| (i, s)));
    let is_command = step.is_some_and(|(_, s)| matches!(s.kind, StepKind::Command | StepKind::Data));
    // Connections and DNS lookups: the host connected to, or about to be.
    let connect_host = props.current.and_then(|i| connect_target(&props.timeline, i));
    let apply = {
        let (choice, reply, custom, downtime) =
            (choice.clone(), reply.clone(), custom.clone(), downtime.clone());
        let (source, current) = (props.source.clone(), props.current);
        let (on_action, error) = (props.on_action.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(index) = current else { return };
            let what = match choice.as_str() {
                "reply" => service::WhatIf::Reply((*reply).clone()),
                "custom" => service::WhatIf::Reply((*custom).clone()),
                "greylist" => service::WhatIf::Greylist,
                "close-421" => service::WhatIf::Close421,
                "drop" => service::WhatIf::Drop,
                _ => service::WhatIf::Down(*downtime),
            };
            let request = Request::AddFault { source: source.to_string(), step: index, what };
            ask(&request, index + 1, on_action.clone(), error.clone());
        })
    };
    let undo = |n: usize| {
        let (source, current) = (props.source.clone(), props.current);
        let (on_action, error) = (props.on_action.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let request = Request::RemoveFault { source: source.to_string(), index: n };
            ask(&request, current.map_or(0, |c| c + 1), on_action.clone(), error.clone());
        })
    };
    let set = |state: UseStateHandle<String>| {
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            state.set(select.value());
        })
    };
    let on_custom = {
        let custom = custom.clone();
        Callback::from(move |event: InputEvent| {
            let field: web_sys::HtmlInputElement = event.target_unchecked_into();
            custom.set(field.value());
        })
    };
    let on_downtime = {
        let downtime = downtime.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            downtime.set(select.value().parse().unwrap_or(DOWNTIMES[2].0));
        })
    };
    let usable = is_command || connect_host.is_some();
    let option = |value: &'static str, label: &'static str, enabled: bool| {
        html! { <option value={value} selected={*choice == value} disabled={!enabled}>{ label }</option> }
    };
    html! {
        <details class="whatif" open={!props.faults.is_empty()}>
            <summary>{ "What if…" }</summary>
            if props.console {
                <p class="lab-help">{ "This run includes your console session, which is not part of the scenario's text. \
                    Clear the console to inject a fault into the scenario." }</p>
            } else if usable {
                <div class="lab-row">
                    <label for="whatif-action">{ "At this step" }</label>
                    <select id="whatif-action" onchange={set(choice.clone())}>
                        { option("reply", "the server replies…", is_command) }
                        { option("custom", "the server replies (custom)…", is_command) }
                        { option("greylist", "the server greylists (450 4.7.1)", is_command) }
                        { option("close-421", "the server answers 421 and closes", is_command) }
                        { option("drop", "the connection drops", is_command) }
                        { option("down", "the host is down for…", true) }
                    </select>
                    if choice.as_str() == "reply" {
                        <label for="whatif-reply" class="visually-hidden">{ "Reply" }</label>
                        <select id="whatif-reply" onchange={set(reply.clone())}>
                            { for REPLIES.iter().map(|r| html! { <option value={*r} selected={*reply == *r}>{ *r }</option> }) }
                        </select>
                    }
                    if choice.as_str() == "custom" {
                        <label for="whatif-custom" class="visually-hidden">{ "Custom reply" }</label>
                        <input id="whatif-custom" type="text" value={(*custom).clone()} oninput={on_custom} />
                    }
                    if choice.as_str() == "down" {
                        <label for="whatif-down" class="visually-hidden">{ "Down for" }</label>
                        <select id="whatif-down" onchange={on_downtime}>
                            { for DOWNTIMES.iter().map(|(ms, label)| html! {
                                <option value={ms.to_string()} selected={*downtime == *ms}>{ *label }</option>
                            }) }
                        </select>
                    }
                    <button type="button" id="whatif-apply" onclick={apply}>{ "Apply" }</button>
                </div>
            } else {
                <p class="lab-help">{ "Step to a command, a connection or a DNS lookup to change what happens there." }</p>
            }
            if let Some(e) = error.as_ref() { <p class="lab-error" role="alert">{ e.clone() }</p> }
            if !props.faults.is_empty() {
                <ul class="whatif-faults" aria-label="Faults in this scenario">
                    { for props.faults.iter().enumerate().map(|(n, fault)| html! {
                        <li>
                            <span>{ fault.clone() }</span>{ " " }
                            <button type="button" class="whatif-undo" onclick={undo(n)}>{ "Undo" }</button>
                        </li>
                    }) }
                </ul>
            }
        </details>
    }
}

/// Asks the simulator for the run `request` makes (the text with a fault added or taken out)
/// and shows it at `step`; what goes wrong is said under the panel.
fn ask(request: &Request, step: usize, on_action: Callback<Action>, error: UseStateHandle<Option<String>>) {
    simulator::ask(request, move |answer| match run_of(answer) {
        Ok(played) => {
            error.set(None);
            on_action.emit(Action::Show(played, step));
        }
        Err(Failure::Invalid(e)) => {
            error.set(Some(format!("Line {}, column {}: {}", e.line, e.column, e.message)))
        }
        Err(Failure::Refused(why)) => error.set(Some(why)),
    });
}
