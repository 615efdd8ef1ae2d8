use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use super::icon::{Glyph, icon};
use crate::timeline::{Millis, describe_wait, format_time};
use crate::ui::state::{Action, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub position: usize,
    pub len: usize,
    pub playing: bool,
    pub speed: usize,
    /// Whether "predict the reply" waits for a guess (stepping on is blocked).
    pub asking: bool,
    /// The current step's virtual time.
    pub time: Option<Millis>,
    /// The long wait just compressed before the current step.
    pub wait: Option<Millis>,
    pub on_action: Callback<Action>,
}

/// Play/pause, stepping, the scrubber, the speed and the virtual clock.
#[component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let send = |action: Action| props.on_action.reform(move |_: MouseEvent| action.clone());
    let (at_start, at_end) = (props.position == 0, props.position >= props.len);
    let scrub = props.on_action.reform(|e: InputEvent| {
        let value = e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value());
        Action::Seek(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    });
    let speed = props.on_action.reform(|e: Event| {
        let value =
            e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()).map(|s| s.value());
        Action::Speed(value.and_then(|v| v.parse().ok()).unwrap_or(crate::ui::state::NORMAL_SPEED))
    });
    let (play_label, play_glyph) =
        if props.playing { ("Pause", Glyph::Pause) } else { ("Play", Glyph::Play) };
    html! {
        <section class="controls" aria-label="Playback">
            <div class="buttons">
                <button id="first" aria-label="First step" title="First step (Home)" disabled={at_start}
                    onclick={send(Action::First)}>{ icon(Glyph::First) }</button>
                <button id="back" aria-label="Previous step" title="Previous step (←)" disabled={at_start}
                    onclick={send(Action::Back)}>{ icon(Glyph::Previous) }</button>
                <button id="play" class="play" aria-label={play_label} title={format!("{play_label} (Space)")}
                    disabled={props.len == 0 || props.asking} onclick={send(Action::TogglePlay)}>
                    { icon(play_glyph) }
                </button>
                <button id="forward" aria-label="Next step" title="Next step (→)" disabled={at_end || props.asking}
                    onclick={send(Action::Forward)}>{ icon(Glyph::Next) }</button>
                <button id="last" aria-label="Last step" title="Last step (End)" disabled={at_end}
                    onclick={send(Action::Last)}>{ icon(Glyph::Last) }</button>
            </div>
            <input id="scrubber" type="range" min="0" max={props.len.to_string()} value={props.position.to_string()}
                aria-label="Step" aria-valuetext={format!("step {} of {}", props.position, props.len)} oninput={scrub} />
            <span id="counter" class="counter">{ format!("{} / {}", props.position, props.len) }</span>
            <label class="speed">
                { "Speed " }
                <select id="speed" onchange={speed}>
                    { for SPEEDS.iter().enumerate().map(|(i, (_, name))| html! {
                        <option value={i.to_string()} selected={i == props.speed}>{ *name }</option>
                    }) }
                </select>
            </label>
            <span class="clock" role="timer" aria-label="Virtual clock">
                { icon(Glyph::Clock) }
                <span class="sr-only">{ "Virtual time " }</span>
                <time id="clock">{ props.time.map_or_else(|| "—".to_owned(), format_time) }</time>
            </span>
            if let Some(wait) = props.wait {
                <span id="wait" class="wait">{ icon(Glyph::FastForward) }{ " " }{ describe_wait(wait) }{ " later" }</span>
            }
        </section>
    }
}
