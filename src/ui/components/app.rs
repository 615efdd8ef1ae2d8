use std::rc::Rc;

use yew::prelude::*;

use super::controls::Controls;
#[cfg(feature = "full")]
use super::ending::Ending;
use super::explanation::Explanation;
#[cfg(feature = "full")]
use super::help::Help;
#[cfg(feature = "full")]
use super::inspectors::Inspectors;
#[cfg(feature = "full")]
use super::intro::Intro;
use super::journey::JourneyMap;
#[cfg(feature = "full")]
use super::lab::{Lab, WhatIf};
use super::lanes::Lanes;
#[cfg(feature = "full")]
use super::picker::Picker;
#[cfg(feature = "full")]
use super::predict::PredictPanel;
use super::toolbar::Toolbar;
use super::transcript::Transcript;
use crate::scenario::lessons;
use crate::scenario::played::Topic;
use crate::ui::browser;
use crate::ui::embed::Panels;
use crate::ui::hooks::{use_embed, use_full, use_keyboard, use_loader, use_location, use_playback};
use crate::ui::progress::Progress;
#[cfg(feature = "full")]
use crate::ui::simulator;
use crate::ui::state::{Action, Fetch, State};

/// A part only the full module draws (issue 13): itself in the full player; in the player
/// module, a placeholder that asks for the full module once it comes into view (named
/// parts) or while the state needs it (the lab, predict).
/// In the full player they are drawn one task after the rest (`drawn`), so the first render
/// after a takeover is no longer than the player module's own; until then the placeholder
/// keeps their place, so the page the full player takes over has the same height.
#[cfg(feature = "full")]
macro_rules! full_only {
    ($part:literal, $on_action:expr, $drawn:expr, $($html:tt)*) => {
        if $drawn {
            html! { $($html)* }
        } else {
            html! { <super::awaiting::Awaiting part={$part} failed=false on_action={$on_action} /> }
        }
    };
}
#[cfg(not(feature = "full"))]
macro_rules! full_only {
    ($part:literal, $on_action:expr, $drawn:expr, $($html:tt)*) => {
        html! {
            <super::awaiting::Awaiting part={$part} failed={crate::ui::handover::failed()} on_action={$on_action} />
        }
    };
}

/// The player: picks its lesson and step, or a share link's scenario and step, from the
/// URL, then renders the state. A visit
/// that names no lesson and no scenario opens on the "Start here" introduction, over the
/// first lesson of the learning path.
#[component(App)]
// The player module draws placeholders for the lab and predict, which use no binding.
#[cfg_attr(not(feature = "full"), allow(unused_variables))]
pub fn app() -> Html {
    let state = use_reducer(|| {
        #[cfg(feature = "full")]
        if let Some(state) = crate::ui::handover::received_state() {
            return state;
        }
        let (lesson, step) = browser::read_location();
        // A share link's scenario is in the fragment; an old link's in the query (the
        // address then moves it to the fragment, see `use_location`).
        let fragment = browser::read_fragment();
        let link = match fragment.scenario {
            Some(param) => Some((param, fragment.step)),
            None => browser::read_param("scenario").map(|param| (param, step)),
        };
        let mut state = if let Some((param, step)) = link {
            State::open_link(&param, step, browser::stored_theme())
        } else {
            let first = lessons::PATH.first().copied().unwrap_or("telnet-session");
            let mut state = State::open(lesson.as_deref().unwrap_or(first), step, browser::stored_theme());
            state.embed = browser::read_embed();
            if state.embed.is_some() {
                state.picker = false;
            }
            state.intro = lesson.is_none() && state.embed.is_none();
            state
        };
        state.progress = browser::stored_progress();
        state
    });
    use_loader(&state);
    use_playback(&state);
    use_keyboard(&state);
    use_location(&state);
    use_embed(&state);
    use_full(&state);
    // The full player's own parts wait one task (`full_only!`): a timeout, not a state set in
    // an effect, which Yew would render in the same task.
    #[cfg(feature = "full")]
    let drawn = {
        let drawn = use_state(|| false);
        let setter = drawn.setter();
        use_effect_with((), move |_| {
            gloo::timers::callback::Timeout::new(0, move || setter.set(true)).forget();
        });
        *drawn
    };
    #[cfg(not(feature = "full"))]
    let drawn = true;
    use_effect_with(state.theme, |theme| {
        if let Some(theme) = theme {
            browser::apply_theme(*theme);
        }
    });
    use_effect_with(state.progress.clone(), |progress| {
        if *progress != Progress::default() {
            browser::store_progress(progress);
        }
    });
    // The library's index (lessons/index.json), fetched once, for the picker, the path and
    // "Next lesson"; until it arrives they show the lessons by id. All three are the full
    // module's: the player module never fetches it.
    let path = use_state(|| Rc::new(Vec::<Topic>::new()));
    #[cfg(feature = "full")]
    {
        let path = path.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(json) = browser::fetch_text("lessons/index.json").await
                    && let Ok(index) = serde_json::from_str::<Vec<Topic>>(&json)
                {
                    path.set(Rc::new(index));
                }
            });
        });
    }
    let path: Rc<Vec<Topic>> = (*path).clone();
    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action| dispatcher.dispatch(action))
    };

    // Embed mode shows only the panels asked for; the full player shows them all.
    let panels = state.embed.as_ref().map_or(
        Panels { lanes: true, controls: true, transcript: true, explanation: true, inspectors: true },
        |e| e.panels,
    );
    // An autoplaying embed under reduced motion still advances, without travel animation.
    let travel = if state.embed.is_some() && browser::prefers_reduced_motion() {
        0
    } else {
        state.play_delay().min(700)
    };
    #[cfg(feature = "full")]
    let (next, path_done) = next_lesson(&state, &path);
    let body = match &state.loaded {
        None if state.pending.is_some() => html! {
            <main class="stage loading" aria-busy="true">
                <p class="loading-note" role="status">{ loading_text(&state) }</p>
            </main>
        },
        None => html! {},
        Some(loaded) => {
            let played = &loaded.played;
            let current = state.current();
            let verdict = state.predict.as_ref().zip(current).and_then(|(p, i)| p.answers.get(&i).copied());
            html! {
                <main class="stage" id="lesson" tabindex="-1">
                    <header class="lesson-head">
                        <h2 id="lesson-title">{ &played.title }</h2>
                        if let Some(topic) = &played.topic { <p class="topic">{ topic }</p> }
                        { recording_note(played, state.embed.is_none(), &on_action) }
                    </header>
                    if panels.lanes {
                        <JourneyMap timeline={loaded.timeline.clone()} step={current} />
                        <Lanes timeline={loaded.timeline.clone()} position={state.position} travel={travel} />
                    }
                    if panels.controls {
                    <Controls position={state.position} len={state.len()} playing={state.playing}
                        speed={state.speed} asking={state.asking().is_some()}
                        time={current.and_then(|i| loaded.timeline.steps.get(i)).map(|s| s.time)}
                        wait={current.and_then(|i| state.wait_before(i))} on_action={on_action.clone()} />
                    }
                    if let (Some(tab), None) = (state.lab, &state.embed) {
                        { full_only!("lab", on_action.clone(), drawn, <Lab tab={tab} source={loaded.source.clone()} played={loaded.played.clone()}
                            timeline={loaded.timeline.clone()} console={state.console_typed().clone()}
                            pristine={state.pristine.clone()} position={state.position} on_action={on_action.clone()} />) }
                    }
                    <div class={classes!("columns", (!(panels.explanation && (panels.transcript || panels.inspectors))).then_some("single"))}>
                        if panels.explanation {
                        <div class="column-main">
                            if let Some(asking) = state.asking() {
                                { full_only!("predict", on_action.clone(), drawn, <PredictPanel asking={asking}
                                    codes={loaded.codes.clone()} on_action={on_action.clone()} />) }
                            }
                            <Explanation timeline={loaded.timeline.clone()} current={current}
                                description={played.description.clone()} goals={played.goals.clone()}
                                verdict={verdict} />
                            // A recording with no replay scenario (IMAP, `send`) has nothing to re-run.
                            if state.embed.is_none() && !loaded.source.is_empty() {
                                { full_only!("whatif", on_action.clone(), drawn, <WhatIf source={loaded.source.clone()} timeline={loaded.timeline.clone()} current={current}
                                    faults={played.faults.clone()} console={!state.console.lines.is_empty()}
                                    on_action={on_action.clone()} />) }
                            }
                            if state.at_end() && !state.is_empty() {
                                { full_only!("ending", on_action.clone(), drawn, <Ending try_next={played.try_next.clone()}
                                    outcome={loaded.timeline.outcome.clone()}
                                    score={state.predict.as_ref().map(|p| p.score())}
                                    recap={played.recap.clone()} next={next.clone()} path_done={path_done}
                                    on_action={on_action.clone()} />) }
                            }
                        </div>
                        }
                        if panels.transcript || panels.inspectors {
                        <div class="column-side">
                            if panels.transcript {
                            <Transcript timeline={loaded.timeline.clone()}
                                position={state.position} crlf={state.crlf} opened={state.opened}
                                name={loaded.lesson.clone().unwrap_or_else(|| "scenario".into())}
                                on_action={on_action.clone()} />
                            }
                            if panels.inspectors {
                            { full_only!("inspectors", on_action.clone(), drawn, <Inspectors played={loaded.played.clone()} timeline={loaded.timeline.clone()} step={current} />) }
                            }
                        </div>
                        }
                    </div>
                    if state.embed.is_some() {
                        <p class="embed-open">
                            <a href={open_link(loaded.lesson.as_deref(), state.position)} target="_blank" rel="noopener">
                                { "Open in SMTP Playground ↗" }</a>
                        </p>
                    }
                </main>
            }
        }
    };
    let intro = state.intro && state.embed.is_none();
    // The skip link moves focus itself: following `#lesson` would replace the fragment,
    // which holds a shared scenario.
    let skip_to_lesson = Callback::from(|event: MouseEvent| {
        event.prevent_default();
        browser::focus_id("lesson");
    });
    html! {
        <>
        // Behind the open introduction the page is inert: out of the Tab order and hidden
        // from screen readers, so focus stays in the dialog.
        <div class={classes!("app", state.presenter.then_some("presenter"), state.playing.then_some("playing"),
            state.embed.is_some().then_some("embedded"))} inert={intro}>
            if state.embed.is_none() {
            <a id="skip-link" class="skip-link" href="#lesson" onclick={skip_to_lesson}>{ "Skip to the lesson" }</a>
            <Toolbar picker={state.picker} intro={state.intro} presenter={state.presenter} predict={state.predict.is_some()}
                theme={state.theme} lab={state.lab.is_some()} on_action={on_action.clone()} />
            }
            if let (Some(_), Some(_)) = (&state.pending, &state.loaded) {
                <p class="loading-note busy" role="status">{ loading_text(&state) }</p>
            }
            if let Some(notice) = &state.notice {
                <p class="notice" role="alert">{ notice }
                    if state.picker && state.embed.is_none() { { " Pick one of the lessons below." } }</p>
            }
            if state.picker && state.embed.is_none() {
                { full_only!("picker", on_action.clone(), drawn, <Picker current={state.loaded.as_ref().and_then(|l| l.lesson.clone())}
                    path={path.clone()} progress={state.progress.clone()} on_action={on_action.clone()} />) }
            }
            { body }
            if state.help { { full_only!("help", on_action.clone(), drawn, <Help on_action={on_action.clone()} />) } }
        </div>
        if intro { { full_only!("intro", on_action.clone(), drawn, <Intro path={path} progress={state.progress.clone()} on_action={on_action} />) } }
        </>
    }
}

/// "Next lesson" at the end: the lesson after this one on the learning path (after the one
/// it was edited from, for a lesson changed in the lab), or, for a scenario of the learner's
/// own, the first lesson of the path not finished yet; and whether this one ends the path.
/// An embedded player leaves the order to its course page.
#[cfg(feature = "full")]
fn next_lesson(state: &State, path: &[Topic]) -> (Option<(&'static str, String)>, bool) {
    if state.embed.is_some() {
        return (None, false);
    }
    let lesson = state.loaded.as_ref().and_then(|l| l.lesson.clone());
    let lesson = lesson.or_else(|| state.pristine.as_ref().and_then(|(lesson, _)| lesson.clone()));
    let next = match lesson.as_deref() {
        Some(id) if lessons::PATH.contains(&id) => lessons::next(id),
        _ => state.progress.first_unfinished(),
    };
    let title = |id: &str| {
        path.iter()
            .flat_map(|(_, l)| l)
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.title.clone())
    };
    let next = next.map(|id| (id, title(id)));
    let done = next.is_none() && lesson.as_deref() == lessons::PATH.last().copied();
    (next, done)
}

/// What the page waits for, in words.
fn loading_text(state: &State) -> &'static str {
    match state.pending.as_ref().map(|p| &p.fetch) {
        Some(Fetch::Lesson(_)) => "Loading the lesson…",
        #[cfg(not(feature = "full"))]
        Some(Fetch::Simulator(_)) => "Loading the lab and the simulator…",
        #[cfg(feature = "full")]
        Some(Fetch::Simulator(_)) if !simulator::ready() => "Starting the simulator…",
        #[cfg(feature = "full")]
        Some(Fetch::Simulator(_)) => "Running the scenario…",
        None => "",
    }
}

/// The full player at the same lesson and step (relative: the embed is served from the
/// player's own directory). A scenario sent by the page has no lesson to name.
fn open_link(lesson: Option<&str>, step: usize) -> String {
    match lesson {
        Some(lesson) => format!("./?lesson={lesson}&step={step}"),
        None => "./".to_owned(),
    }
}

/// Who recorded a recording of a real session, and when; how many passwords are masked; and
/// a way to replay it in the Lab. Nothing for a run that is not a recording. The player
/// module never shows a recording (only the full player reads them).
#[cfg(feature = "full")]
fn recording_note(played: &crate::scenario::played::Played, lab: bool, on_action: &Callback<Action>) -> Html {
    use crate::ui::state::LabTab;
    let Some(recording) = &played.recording else { return Html::default() };
    let masked = match recording.masked {
        0 => None,
        1 => Some("1 password masked".to_owned()),
        n => Some(format!("{n} passwords masked")),
    };
    html! {
        <p class="recording-note" id="recording-note">
            { format!("Recorded by {} on {}", recording.by, recording.started) }
            if let Some(masked) = masked { { " · " }<strong>{ masked }</strong> }
            if lab && !played.source.is_empty() {
                { " · " }
                <button id="replay-recording" onclick={on_action.reform(|_| Action::Lab(Some(LabTab::Editor)))}>
                    { "Replay it in the Lab" }
                </button>
            }
        </p>
    }
}

#[cfg(not(feature = "full"))]
fn recording_note(_: &crate::scenario::played::Played, _: bool, _: &Callback<Action>) -> Html {
    Html::default()
}
