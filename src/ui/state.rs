//! The player's one state and the actions that change it. The reducer is pure: the
//! browser (URL, timers, storage, full screen) is reached from hooks and handlers only.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::Reducible;

use crate::scenario::played::Played;
use crate::scenario::service::{ConsoleSession, Request};
use crate::scenario::{ScenarioError, lessons};
use crate::timeline::{Millis, StepKind, Timeline};
use crate::ui::embed::EmbedOptions;
use crate::ui::progress::Progress;

/// Playback speeds offered, as multiples of the normal pace.
pub const SPEEDS: [(f64, &str); 5] = [(0.25, "0.25×"), (0.5, "0.5×"), (1.0, "1×"), (2.0, "2×"), (4.0, "4×")];
/// The index of 1× in [`SPEEDS`].
pub const NORMAL_SPEED: usize = 2;
/// Virtual waits longer than this are compressed while playing and labelled.
pub const LONG_WAIT: Millis = 10_000;

/// The run being played: a [`Played`] (a lesson's static data, or the simulator worker's
/// answer) and what the player derives from it once.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The library lesson it came from, if any (URLs name it).
    pub lesson: Option<String>,
    pub source: Rc<str>,
    /// The run without its timeline, which is `timeline`.
    pub played: Rc<Played>,
    pub timeline: Rc<Timeline>,
    /// The distinct reply codes of the run, ascending: the choices "predict the reply" offers.
    pub codes: Rc<[u16]>,
    /// How many replies "predict the reply" asks for: a perfect score is this many.
    pub replies: usize,
}

impl Loaded {
    /// The run, its timeline moved out of `played` (nothing reads it there) rather than
    /// copied: a bulk run's timeline is tens of megabytes.
    pub fn new(played: Rc<Played>) -> Self {
        let (played, timeline) = match Rc::try_unwrap(played) {
            Ok(mut played) => {
                let timeline = std::mem::take(&mut played.timeline);
                (Rc::new(played), Rc::new(timeline))
            }
            Err(shared) => {
                let timeline = Rc::new(shared.timeline.clone());
                (shared, timeline)
            }
        };
        let mut codes: Vec<u16> =
            timeline.steps.iter().filter(|s| s.kind == StepKind::Reply).filter_map(|s| s.code).collect();
        let replies = codes.len();
        codes.sort_unstable();
        codes.dedup();
        Self {
            lesson: played.lesson.clone(),
            source: played.source.as_str().into(),
            played,
            timeline,
            codes: codes.into(),
            replies,
        }
    }

    /// Whether step `index` is a server reply a learner can predict.
    pub fn is_predictable(&self, index: usize) -> bool {
        self.timeline.steps.get(index).is_some_and(|s| s.kind == StepKind::Reply && s.code.is_some())
    }
}

/// A run the player waits for: a lesson's static data, fetched, or the simulator's answer to
/// a request. `seq` tells a late answer from the one awaited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub seq: u32,
    pub fetch: Fetch,
    /// The step to show once it arrives (clamped to the run's length: `usize::MAX` is the end).
    pub step: usize,
    pub how: Shown,
    /// A notice to keep once it arrives (a link that failed, so the first lesson opens).
    pub notice: Option<String>,
}

/// Where a run comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Fetch {
    /// `lessons/ID.json`, no simulator needed.
    Lesson(String),
    /// The simulator worker's answer.
    Simulator(Request),
}

/// What a run shown replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shown {
    /// A library lesson, opened afresh: the editor's Reset comes back to it.
    Lesson,
    /// A share link's scenario: Reset comes back to it.
    Link,
    /// An edit of what is played (Run, a fault, a message): Reset still goes to the original.
    Edit,
    /// The console's session: the state's console becomes this one.
    Console(Console),
    /// A recording of a real session, opened from a file: Reset in the editor comes back to
    /// its replay scenario.
    Recording,
}

/// The light/dark choice; `None` in [`State::theme`] follows the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    Light,
    Dark,
}

/// A learner's guess at a reply: its class (first digit) or the exact code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Guess {
    Class(u16),
    Code(u16),
}

impl Guess {
    /// Whether the guess matches `code`.
    pub fn matches(self, code: u16) -> bool {
        match self {
            Self::Class(digit) => code / 100 == digit,
            Self::Code(exact) => code == exact,
        }
    }
}

/// "Predict the reply": which reply waits for a guess, and the guesses made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predict {
    /// The reply step held back until the learner guesses.
    pub asking: Option<usize>,
    /// Each guessed reply step: the guess and whether it was right.
    pub answers: BTreeMap<usize, (Guess, bool)>,
}

impl Predict {
    /// Right guesses and guesses made.
    pub fn score(&self) -> (usize, usize) {
        (self.answers.values().filter(|(_, right)| *right).count(), self.answers.len())
    }
}

/// The lab's tabs (issue 7): type at a server, edit the scenario, send your own message,
/// share and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabTab {
    Console,
    Editor,
    Message,
    Share,
}

/// The console's session: the server typed at and the lines sent so far. Every line
/// re-runs the world with [`console::console_scenario`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Console {
    pub server: Option<String>,
    pub lines: Vec<String>,
}

/// Everything the player shows.
#[derive(Debug, Clone)]
pub struct State {
    /// The scenario played; `None` when the URL named no loadable lesson.
    pub loaded: Option<Loaded>,
    /// A friendly message when the lesson asked for could not be opened.
    pub notice: Option<String>,
    /// How many steps are shown; the current step is `position - 1`.
    pub position: usize,
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Whether CRLFs are drawn at the end of wire lines.
    pub crlf: bool,
    pub help: bool,
    pub picker: bool,
    /// The "Start here" introduction and the learning path are open.
    pub intro: bool,
    /// The lessons finished and predicted, as local storage keeps them.
    pub progress: Progress,
    pub presenter: bool,
    pub predict: Option<Predict>,
    pub theme: Option<Theme>,
    /// The step whose line is opened in the transcript (annotated bytes).
    pub opened: Option<usize>,
    /// The lab's open tab; `None` when the lab is closed.
    pub lab: Option<LabTab>,
    pub console: Console,
    /// What the editor's Reset goes back to: the lesson opened last (by id) or the text a
    /// link brought. Edits, faults and messages played with `LoadSource` keep it.
    pub pristine: Option<(Option<String>, Rc<str>)>,
    /// Embed mode (`?embed=1`): the panels shown, autoplay and the embedding origin.
    pub embed: Option<EmbedOptions>,
    /// The run being fetched or asked of the simulator, if any (the page shows it loads).
    pub pending: Option<Pending>,
    /// The last [`Pending::seq`] given out.
    pub seq: u32,
    /// A part of the page that only the full module draws came into view (the inspectors,
    /// what-if): the player module loads it ([`State::needs_full`]).
    pub want_full: bool,
    /// A recording to open, held by the player module until the full player, which reads
    /// recordings, takes over with it.
    pub opening: Option<Rc<str>>,
}

impl State {
    /// The player opened on `lesson` at `step` (as a URL names them), waiting for its data;
    /// an unknown lesson leaves a notice and the picker open.
    pub fn open(lesson: &str, step: usize, theme: Option<Theme>) -> Self {
        Self::empty(theme).fetch_lesson(lesson, step)
    }

    /// The player opened on a permalink parameter (`#scenario=`, or an old `?scenario=`) at
    /// `step`, waiting for the simulator to run it.
    pub fn open_link(param: &str, step: usize, theme: Option<Theme>) -> Self {
        Self::empty(theme).ask(Request::Link { param: param.to_owned() }, step, Shown::Link)
    }

    pub(crate) fn empty(theme: Option<Theme>) -> Self {
        Self {
            loaded: None,
            notice: None,
            position: 0,
            playing: false,
            speed: NORMAL_SPEED,
            crlf: false,
            help: false,
            picker: false,
            intro: false,
            progress: Progress::default(),
            presenter: false,
            predict: None,
            theme,
            opened: None,
            lab: None,
            console: Console::default(),
            pristine: None,
            embed: None,
            pending: None,
            seq: 0,
            want_full: false,
            opening: None,
        }
    }

    /// Waits for a library lesson's data; an id that is no lesson leaves a notice instead.
    fn fetch_lesson(mut self, id: &str, step: usize) -> Self {
        match lessons::path_id(id) {
            Some(id) => self.wait(Fetch::Lesson(id.to_owned()), step, Shown::Lesson),
            None => {
                self.notice = Some(format!("There is no lesson called “{id}”."));
                self.picker = self.picker || self.loaded.is_none();
                self
            }
        }
    }

    /// Waits for the simulator's answer to `request`.
    pub fn ask(self, request: Request, step: usize, how: Shown) -> Self {
        self.wait(Fetch::Simulator(request), step, how)
    }

    fn wait(mut self, fetch: Fetch, step: usize, how: Shown) -> Self {
        self.seq = self.seq.wrapping_add(1);
        self.playing = false;
        self.pending = Some(Pending { seq: self.seq, fetch, step, how, notice: None });
        self
    }

    /// Shows a run that arrived: at `step`, replacing what `how` says.
    pub(crate) fn show(mut self, played: Rc<Played>, step: usize, how: Shown) -> Self {
        let first = self.loaded.is_none();
        let loaded = Loaded::new(played);
        match how {
            Shown::Lesson => {
                self.pristine = Some((loaded.lesson.clone(), loaded.source.clone()));
                self.console = Console::default();
                self.intro = self.intro && first;
            }
            Shown::Link | Shown::Recording => {
                self.pristine = Some((None, loaded.source.clone()));
                self.console = Console::default();
                self.intro = false;
            }
            Shown::Edit => self.console.lines.clear(),
            Shown::Console(console) => self.console = console,
        }
        self.loaded = Some(loaded);
        self.notice = None;
        self.opened = None;
        self.picker = false;
        self.playing = false;
        self.predict = self.predict.map(|_| Predict::default());
        // An autoplaying embed starts when it is seen (`use_embed`), not when it arrives.
        self.seek(step)
    }

    /// The console's session as the learner has typed it: the one waiting for its run if
    /// there is one, else the one shown. Lines typed faster than the world re-runs build on
    /// this, so none is lost while an earlier line's run is still on its way.
    pub fn console_typed(&self) -> &Console {
        match self.pending.as_ref().map(|p| &p.how) {
            Some(Shown::Console(console)) => console,
            _ => &self.console,
        }
    }

    /// The console's session run again (the scenario alone without lines).
    fn run_console(self, console: Console) -> Self {
        let Some(loaded) = &self.loaded else { return self };
        let session = console
            .server
            .clone()
            .filter(|_| !console.lines.is_empty())
            .map(|server| ConsoleSession { server, lines: console.lines.clone() });
        let request = Request::Run {
            lesson: loaded.lesson.clone(),
            source: loaded.source.to_string(),
            console: session,
        };
        self.ask(request, usize::MAX, Shown::Console(console))
    }

    /// Whether the page needs the full module (issue 13): the lab open, "predict the reply"
    /// on, a line's parts opened, a scenario to run (only the simulator worker runs one), or
    /// the inspectors or what-if in view. The player module plays a lesson without it and
    /// hands over to it the first time this holds ([`crate::ui::handover`]).
    pub fn needs_full(&self) -> bool {
        self.want_full
            || self.lab.is_some()
            || self.help
            || (self.intro && self.embed.is_none())
            || (self.picker && self.embed.is_none())
            || self.predict.is_some()
            || self.opened.is_some()
            || self.pending.as_ref().is_some_and(|p| matches!(p.fetch, Fetch::Simulator(_)))
            || self.opening.is_some()
    }

    /// The number of steps in the run.
    pub fn len(&self) -> usize {
        self.loaded.as_ref().map_or(0, |l| l.timeline.steps.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current step's index, `None` before the first step.
    pub fn current(&self) -> Option<usize> {
        self.position.checked_sub(1)
    }

    pub fn at_end(&self) -> bool {
        self.position >= self.len()
    }

    /// The reply step held back for a guess, if any.
    pub fn asking(&self) -> Option<usize> {
        self.predict.as_ref().and_then(|p| p.asking)
    }

    /// Milliseconds of real time before playback shows the next step: a steady pace,
    /// a pause to read a long wait's label, all divided by the speed.
    pub fn play_delay(&self) -> u32 {
        let base = if self.wait_before(self.position).is_some() { 1_600.0 } else { 900.0 };
        let speed = SPEEDS.get(self.speed).map_or(1.0, |s| s.0);
        (base / speed) as u32
    }

    /// The virtual wait before step `index`, when it is long enough to be compressed.
    pub fn wait_before(&self, index: usize) -> Option<Millis> {
        let steps = &self.loaded.as_ref()?.timeline.steps;
        let previous = steps.get(index.checked_sub(1)?)?;
        let gap = steps.get(index)?.time.saturating_sub(previous.time);
        (gap > LONG_WAIT).then_some(gap)
    }

    /// One step forward, unless "predict the reply" holds the next reply back.
    fn forward(mut self) -> Self {
        if self.at_end() || self.asking().is_some() {
            self.playing = false;
            return self;
        }
        let next = self.position;
        let hold = self.loaded.as_ref().is_some_and(|l| l.is_predictable(next))
            && self.predict.as_ref().is_some_and(|p| !p.answers.contains_key(&next));
        if let Some(predict) = self.predict.as_mut().filter(|_| hold) {
            predict.asking = Some(next);
            self.playing = false;
        } else {
            self.position += 1;
            if self.at_end() {
                self.playing = false;
            }
        }
        self
    }

    /// Marks the library lesson played as finished once its last step is shown, with the
    /// score when replies were predicted. A run with console lines is the learner's own
    /// session, not the lesson, so it marks nothing.
    fn record_progress(&mut self) {
        let Some(loaded) = self.loaded.as_ref() else { return };
        let Some(id) = loaded.lesson.as_deref() else { return };
        if self.is_empty() || !self.at_end() || !self.console.lines.is_empty() {
            return;
        }
        let score =
            self.predict.as_ref().filter(|p| !p.answers.is_empty()).map(|p| (p.score().0, loaded.replies));
        self.progress.record(id, score);
    }

    fn seek(mut self, position: usize) -> Self {
        self.position = position.min(self.len());
        if let Some(predict) = self.predict.as_mut() {
            predict.asking = None;
        }
        if self.at_end() {
            self.playing = false;
        }
        self
    }
}

/// What the UI may ask of the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open a library lesson from its first step.
    OpenLesson(String),
    /// Play the scenario of a permalink parameter at a step: the address bar's fragment
    /// changed (`hashchange`). The same text only moves to the step; a link that does not
    /// load keeps the current scenario and leaves a notice.
    OpenLink(String, usize),
    /// Play a scenario given as text (edited, linked or sent by an embedding page) from its
    /// first step. A scenario that does not load keeps the current one and leaves a notice
    /// with the error's line and column.
    LoadSource(Rc<str>),
    Forward,
    Back,
    First,
    Last,
    /// Show this many steps (the scrubber, a transcript line).
    Seek(usize),
    TogglePlay,
    /// Play unless already playing (an embedding page's `play`).
    Play,
    /// An embed's `autoplay`, once the frame is seen: plays, and is not done again (not by
    /// the full player after a takeover either).
    AutoPlay,
    Pause,
    /// The playback timer fired.
    Tick,
    Speed(usize),
    ToggleCrlf,
    ToggleHelp,
    TogglePicker,
    /// Open or close the "Start here" introduction and learning path.
    ToggleIntro,
    /// Escape: close whatever overlay is open.
    Dismiss,
    TogglePresenter,
    TogglePredict,
    Guess(Guess),
    Theme(Theme),
    ToggleLine(usize),
    /// Open the lab on a tab, or close it (`None`).
    Lab(Option<LabTab>),
    /// Type at another server of the world: a new, empty console session.
    ConsoleServer(String),
    /// Send one line in the console: the world re-runs with it and shows its end.
    ConsoleSend(String),
    /// Forget the console's lines and play the scenario without them.
    ConsoleClear,
    /// Ask the simulator for a run and show it at a step (`usize::MAX`: the end).
    Ask(Request, usize),
    /// The run awaited ([`Pending::seq`]) arrived, or could not be had.
    Arrived(u32, Result<Rc<Played>, Failure>),
    /// Show a run the lab already has, at a step (`usize::MAX`: the end).
    Show(Rc<Played>, usize),
    /// Play a recording of a real session (its JSON, from a file picked or dropped, or an
    /// embedding page); one that does not read keeps what is played and says why.
    OpenRecording(Rc<str>),
    /// Say something went wrong, keeping what is played.
    Notice(String),
    /// A part only the full module draws came into view ([`State::needs_full`]).
    WantFull,
    /// The full module could not be loaded: say why, and go on playing without what needed
    /// it (the lab, predict, a line's parts, a scenario waiting for the simulator).
    FullFailed(String),
}

/// Why a run could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The scenario text is wrong here.
    Invalid(ScenarioError),
    /// In words: a link that does not decode, a lesson or the simulator that did not load.
    Refused(String),
}

impl Failure {
    fn located(&self, what: &str) -> String {
        match self {
            Failure::Invalid(e) => format!("{what}: line {}, column {}: {}.", e.line, e.column, e.message),
            Failure::Refused(message) => message.clone(),
        }
    }
}

impl State {
    /// Plays a recording (its JSON) from its first step, or says why it cannot play, with the
    /// line and column where the JSON goes wrong. Only the full player reads recordings: the
    /// player module holds the text and loads it ([`State::opening`]).
    #[cfg(feature = "full")]
    pub(crate) fn open_recording(mut self, json: Rc<str>) -> Self {
        self.opening = None;
        match read_recording(&json) {
            Ok(played) => {
                self.help = false;
                self.pending = None;
                self.show(Rc::new(played), 0, Shown::Recording)
            }
            Err(why) => {
                self.notice = Some(format!("The recording could not be opened: {why}"));
                self
            }
        }
    }

    #[cfg(not(feature = "full"))]
    pub(crate) fn open_recording(mut self, json: Rc<str>) -> Self {
        self.opening = Some(json);
        self
    }
}

/// A recording's JSON read and checked ([`recording::check`]).
#[cfg(feature = "full")]
fn read_recording(json: &str) -> Result<Played, String> {
    use crate::scenario::recording;
    if json.len() > recording::MAX_RECORDING_OCTETS {
        return Err(format!(
            "it is larger than {} MB, the most the player opens.",
            recording::MAX_RECORDING_OCTETS >> 20
        ));
    }
    let played: Played = serde_json::from_str(json).map_err(|e| {
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
        format!("line {}, column {}: {what}.", e.line(), e.column())
    })?;
    recording::check(&played).map_err(|why| format!("{why}."))?;
    Ok(played)
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if crate::ui::handover::frozen() {
            return self;
        }
        let next = self.apply(action);
        // The player module hands the newest state over, not the one rendered last: an action
        // taken just before the full player asks for it may not be rendered yet.
        crate::ui::handover::note(&next);
        next
    }
}

impl State {
    fn apply(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        // A run that arrives (a lesson opened at a step its URL names, a console run shown at
        // its end) is not the learner reaching that step: it marks nothing.
        let arrived = matches!(action, Action::Arrived(..) | Action::Show(..));
        let mut state = match action {
            Action::OpenLesson(id) => {
                state.help = false;
                state.fetch_lesson(&id, 0)
            }
            Action::OpenLink(param, step) => {
                let same =
                    state.loaded.as_ref().is_some_and(|l| l.played.link.as_deref() == Some(param.as_str()));
                if same {
                    state.playing = false;
                    state.seek(step)
                } else {
                    state.ask(Request::Link { param }, step, Shown::Link)
                }
            }
            Action::LoadSource(source) => state.ask(
                Request::Run { lesson: None, source: source.to_string(), console: None },
                0,
                Shown::Edit,
            ),
            Action::Ask(request, step) => state.ask(request, step, Shown::Edit),
            Action::OpenRecording(json) => state.open_recording(json),
            Action::Arrived(seq, result) => {
                let Some(pending) = state.pending.take().filter(|p| p.seq == seq) else { return self };
                match result {
                    Ok(played) => {
                        let mut state = state.show(played, pending.step, pending.how);
                        state.notice = pending.notice.or(state.notice);
                        state
                    }
                    Err(failure) => match (&pending.how, &pending.fetch) {
                        (Shown::Console(_), _) => {
                            state.notice = Some(failure.located("The console could not run").replacen(
                                "The console could not run: line 1, column 1: ",
                                "The console could not run: ",
                                1,
                            ));
                            state
                        }
                        (Shown::Link, _) if state.loaded.is_none() => {
                            let first = lessons::PATH.first().copied().unwrap_or("telnet-session");
                            let mut state = state.fetch_lesson(first, 0);
                            let notice = failure.located("The link's scenario could not be loaded");
                            if let Some(pending) = state.pending.as_mut() {
                                pending.notice = Some(notice.clone());
                            }
                            state.notice = Some(notice);
                            state
                        }
                        (Shown::Link, _) => {
                            state.notice = Some(failure.located("The link's scenario could not be loaded"));
                            state
                        }
                        (_, Fetch::Lesson(id)) => {
                            state.notice =
                                Some(failure.located(&format!("The lesson “{id}” could not be loaded")));
                            state.picker = state.picker || state.loaded.is_none();
                            state
                        }
                        _ => {
                            state.notice = Some(failure.located("The scenario could not be loaded"));
                            state
                        }
                    },
                }
            }
            Action::Show(played, step) => state.show(played, step, Shown::Edit),
            Action::Notice(message) => {
                state.notice = Some(message);
                state
            }
            Action::WantFull => {
                state.want_full = true;
                state
            }
            Action::FullFailed(why) => {
                state.notice = Some(if state.opening.take().is_some() {
                    format!(
                        "The recording could not be opened: the part of the player that reads recordings did not load ({why}); the lesson still plays."
                    )
                } else {
                    format!(
                        "The lab, the inspectors and predict-the-reply could not be loaded ({why}); the lesson still plays."
                    )
                });
                state.want_full = false;
                state.intro = false;
                state.help = false;
                state.picker = false;
                state.lab = None;
                state.predict = None;
                state.opened = None;
                if state.pending.as_ref().is_some_and(|p| matches!(p.fetch, Fetch::Simulator(_))) {
                    state.pending = None;
                }
                if state.loaded.is_none() && state.pending.is_none() {
                    // A share link opened the page: play the first lesson instead.
                    let first = lessons::PATH.first().copied().unwrap_or("telnet-session");
                    let notice = state.notice.clone();
                    let mut state = state.fetch_lesson(first, 0);
                    if let Some(pending) = state.pending.as_mut() {
                        pending.notice = notice;
                    }
                    return Rc::new(state);
                }
                state
            }
            Action::Forward => {
                state.playing = false;
                state.forward()
            }
            Action::Tick if state.playing => state.forward(),
            Action::Tick => return self,
            Action::Back => {
                state.playing = false;
                let back = state.position.saturating_sub(1);
                state.seek(back)
            }
            Action::First => {
                state.playing = false;
                state.seek(0)
            }
            Action::Last => {
                state.playing = false;
                let end = state.len();
                state.seek(end)
            }
            Action::Seek(position) => state.seek(position),
            Action::TogglePlay => {
                if state.playing {
                    state.playing = false;
                    state
                } else if state.asking().is_some() || state.is_empty() {
                    state
                } else {
                    let mut state = if state.at_end() { state.seek(0) } else { state };
                    state.playing = true;
                    state.help = false;
                    state
                }
            }
            Action::Play if state.playing => return self,
            Action::Play => return self.reduce(Action::TogglePlay),
            Action::AutoPlay => {
                if let Some(embed) = &mut state.embed {
                    embed.autoplay = false;
                }
                return Rc::new(state).reduce(Action::Play);
            }
            Action::Pause => {
                state.playing = false;
                state
            }
            Action::Speed(speed) => {
                state.speed = speed.min(SPEEDS.len() - 1);
                state
            }
            Action::ToggleCrlf => {
                state.crlf = !state.crlf;
                state
            }
            Action::ToggleHelp => {
                state.help = !state.help;
                state
            }
            Action::TogglePicker => {
                state.picker = !state.picker;
                state
            }
            Action::ToggleIntro => {
                state.intro = !state.intro;
                state.help = false;
                state.playing = false;
                state
            }
            Action::Dismiss => {
                state.help = false;
                state.intro = false;
                state.picker = state.picker && state.loaded.is_none();
                state
            }
            Action::TogglePresenter => {
                state.presenter = !state.presenter;
                state
            }
            Action::TogglePredict => {
                state.predict = match state.predict {
                    Some(_) => None,
                    None => Some(Predict::default()),
                };
                state
            }
            Action::Guess(guess) => {
                let Some(index) = state.asking() else { return self };
                let code =
                    state.loaded.as_ref().and_then(|l| l.timeline.steps.get(index)).and_then(|s| s.code);
                if let (Some(predict), Some(code)) = (state.predict.as_mut(), code) {
                    predict.answers.insert(index, (guess, guess.matches(code)));
                    predict.asking = None;
                }
                state.seek(index + 1)
            }
            Action::Theme(theme) => {
                state.theme = Some(theme);
                state
            }
            Action::ToggleLine(index) => {
                state.opened = if state.opened == Some(index) { None } else { Some(index) };
                state
            }
            Action::Lab(tab) => {
                state.lab = tab;
                state
            }
            Action::ConsoleServer(server) => {
                let console = Console { server: Some(server), lines: Vec::new() };
                if state.console_typed().lines.is_empty() {
                    state.console = console;
                    state
                } else {
                    state.run_console(console)
                }
            }
            Action::ConsoleSend(line) => {
                let mut console = state.console_typed().clone();
                console.lines.push(line);
                state.run_console(console)
            }
            Action::ConsoleClear => {
                let console = Console { server: state.console_typed().server.clone(), lines: Vec::new() };
                state.run_console(console)
            }
        };
        // Only arriving at the end counts: a page opened at the end (a shared link, a
        // reload) marks nothing until the learner steps there.
        let stayed_at_end = self.at_end()
            && match (&self.loaded, &state.loaded) {
                (Some(before), Some(after)) => Rc::ptr_eq(&before.timeline, &after.timeline),
                _ => false,
            };
        if !arrived && !stayed_at_end {
            state.record_progress();
        }
        Rc::new(state)
    }
}
