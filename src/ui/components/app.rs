use yew::prelude::*;

use super::controls::Controls;
use super::ending::Ending;
use super::explanation::Explanation;
use super::help::Help;
use super::inspectors::Inspectors;
use super::lab::{Lab, WhatIf};
use super::lanes::Lanes;
use super::picker::Picker;
use super::predict::PredictPanel;
use super::toolbar::Toolbar;
use super::transcript::Transcript;
use crate::scenario::lessons;
use crate::ui::browser;
use crate::ui::hooks::{use_keyboard, use_location, use_playback};
use crate::ui::state::State;

/// The player: picks its lesson and step from the URL, then renders the state.
#[component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        let (lesson, step) = browser::read_location();
        if let Some(param) = browser::read_param("scenario") {
            return State::open_link(&param, step, browser::stored_theme());
        }
        let first = lessons::ALL.first().map_or("telnet-session", |l| l.id);
        State::open(lesson.as_deref().unwrap_or(first), step, browser::stored_theme())
    });
    use_playback(&state);
    use_keyboard(&state);
    use_location(&state);
    use_effect_with(state.theme, |theme| {
        if let Some(theme) = theme {
            browser::apply_theme(*theme);
        }
    });
    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action| dispatcher.dispatch(action))
    };

    let body = match &state.loaded {
        None => html! {},
        Some(loaded) => {
            let scenario = &loaded.scenario;
            let current = state.current();
            let verdict = state.predict.as_ref().zip(current).and_then(|(p, i)| p.answers.get(&i).copied());
            html! {
                <main class="stage">
                    <header class="lesson-head">
                        <h2 id="lesson-title">{ &scenario.title }</h2>
                        if let Some(topic) = &scenario.topic { <p class="topic">{ topic }</p> }
                    </header>
                    <Lanes timeline={loaded.timeline.clone()} position={state.position}
                        travel={state.play_delay().min(700)} />
                    <Controls position={state.position} len={state.len()} playing={state.playing}
                        speed={state.speed} asking={state.asking().is_some()}
                        time={current.and_then(|i| loaded.timeline.steps.get(i)).map(|s| s.time)}
                        wait={current.and_then(|i| state.wait_before(i))} on_action={on_action.clone()} />
                    if let Some(tab) = state.lab {
                        <Lab tab={tab} source={loaded.source.clone()} scenario={loaded.scenario.clone()}
                            timeline={loaded.timeline.clone()} console={state.console.clone()}
                            pristine={state.pristine.clone()} position={state.position} on_action={on_action.clone()} />
                    }
                    <div class="columns">
                        <div class="column-main">
                            if let Some(asking) = state.asking() {
                                <PredictPanel asking={asking}
                                    codes={loaded.codes.clone()} on_action={on_action.clone()} />
                            }
                            <Explanation timeline={loaded.timeline.clone()} current={current}
                                description={scenario.description.clone()} verdict={verdict} />
                            <WhatIf source={loaded.source.clone()} timeline={loaded.timeline.clone()} current={current}
                                faults={scenario.world.faults.clone()} console={!state.console.lines.is_empty()}
                                on_action={on_action.clone()} />
                            if state.at_end() && !state.is_empty() {
                                <Ending try_next={scenario.try_next.clone()} outcome={loaded.timeline.outcome.clone()}
                                    score={state.predict.as_ref().map(|p| p.score())} on_action={on_action.clone()} />
                            }
                        </div>
                        <div class="column-side">
                            <Transcript lines={loaded.lines.clone()} timeline={loaded.timeline.clone()}
                                position={state.position} crlf={state.crlf} opened={state.opened}
                                name={loaded.lesson.clone().unwrap_or_else(|| "scenario".into())}
                                on_action={on_action.clone()} />
                            <Inspectors scenario={loaded.scenario.clone()} timeline={loaded.timeline.clone()} step={current} />
                        </div>
                    </div>
                </main>
            }
        }
    };
    html! {
        <div class={classes!("app", state.presenter.then_some("presenter"), state.playing.then_some("playing"))}>
            <Toolbar picker={state.picker} presenter={state.presenter} predict={state.predict.is_some()}
                theme={state.theme} lab={state.lab.is_some()} on_action={on_action.clone()} />
            if let Some(notice) = &state.notice {
                <p class="notice" role="alert">{ notice }if state.picker { { " Pick one of the lessons below." } }</p>
            }
            if state.picker {
                <Picker current={state.loaded.as_ref().and_then(|l| l.lesson.clone())} on_action={on_action.clone()} />
            }
            { body }
            if state.help { <Help on_action={on_action} /> }
        </div>
    }
}
