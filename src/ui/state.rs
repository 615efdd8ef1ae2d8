//! The player's one state and the actions that change it. The reducer is pure: the
//! browser (URL, timers, storage, full screen) is reached from hooks and handlers only.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::Reducible;

use crate::scenario::{self, Scenario, console, lessons, permalink};
use crate::timeline::{Millis, StepKind, Timeline};
use crate::ui::embed::EmbedOptions;
use crate::ui::progress::Progress;

/// Playback speeds offered, as multiples of the normal pace.
pub const SPEEDS: [(f64, &str); 5] = [(0.25, "0.25×"), (0.5, "0.5×"), (1.0, "1×"), (2.0, "2×"), (4.0, "4×")];
/// The index of 1× in [`SPEEDS`].
pub const NORMAL_SPEED: usize = 2;
/// Virtual waits longer than this are compressed while playing and labelled.
pub const LONG_WAIT: Millis = 10_000;

/// The scenario being played, kept as data: its text (so an edited scenario can be
/// played the same way), the parsed scenario and the timeline its run produced.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The library lesson it came from, if any (URLs name it).
    pub lesson: Option<String>,
    pub source: Rc<str>,
    pub scenario: Rc<Scenario>,
    pub timeline: Rc<Timeline>,
    /// Each step's transcript lines, as [`Timeline::transcript`] prints them.
    pub lines: Rc<[Vec<String>]>,
    /// The distinct reply codes of the run, ascending: the choices "predict the reply" offers.
    pub codes: Rc<[u16]>,
    /// How many replies "predict the reply" asks for: a perfect score is this many.
    pub replies: usize,
}

impl Loaded {
    /// Parses and runs a scenario's text.
    pub fn from_source(lesson: Option<String>, source: &str) -> Result<Self, scenario::ScenarioError> {
        Ok(Self::from_scenario(lesson, source, scenario::parse(source)?))
    }

    /// Runs a scenario parsed from `source` and then changed in memory (the console adds its
    /// session to the world); `source` stays the text that is edited, shared and exported.
    pub fn from_scenario(lesson: Option<String>, source: &str, scenario: Scenario) -> Self {
        let timeline = scenario.run();
        let lines: Rc<[Vec<String>]> = timeline.steps.iter().map(|s| s.transcript_lines()).collect();
        let mut codes: Vec<u16> =
            timeline.steps.iter().filter(|s| s.kind == StepKind::Reply).filter_map(|s| s.code).collect();
        let replies = codes.len();
        codes.sort_unstable();
        codes.dedup();
        Self {
            lesson,
            source: source.into(),
            scenario: Rc::new(scenario),
            timeline: Rc::new(timeline),
            lines,
            codes: codes.into(),
            replies,
        }
    }

    /// A lesson of the library, by id.
    pub fn lesson(id: &str) -> Result<Self, String> {
        let lesson = lessons::get(id).ok_or_else(|| format!("There is no lesson called “{id}”."))?;
        Self::from_source(Some(lesson.id.to_owned()), lesson.source)
            .map_err(|e| format!("The lesson “{id}” could not be loaded: {e}"))
    }

    /// Whether step `index` is a server reply a learner can predict.
    pub fn is_predictable(&self, index: usize) -> bool {
        self.timeline.steps.get(index).is_some_and(|s| s.kind == StepKind::Reply && s.code.is_some())
    }
}

/// The light/dark choice; `None` in [`State::theme`] follows the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

/// A learner's guess at a reply: its class (first digit) or the exact code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabTab {
    Console,
    Editor,
    Message,
    Share,
}

/// The console's session: the server typed at and the lines sent so far. Every line
/// re-runs the world with [`console::console_scenario`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

impl State {
    /// The player opened on `lesson` at `step` (as a URL names them); an unknown lesson
    /// leaves a notice and the picker open.
    pub fn open(lesson: &str, step: usize, theme: Option<Theme>) -> Self {
        let (loaded, notice) = match Loaded::lesson(lesson) {
            Ok(loaded) => (Some(loaded), None),
            Err(message) => (None, Some(message)),
        };
        Self::with_loaded(loaded, notice, step, theme)
    }

    /// The player opened on a permalink parameter (`#scenario=`, or an old `?scenario=`) at
    /// `step`. A link that does not decode or load opens the first lesson with a notice
    /// saying why.
    pub fn open_link(param: &str, step: usize, theme: Option<Theme>) -> Self {
        match Self::link(param) {
            Ok(loaded) => Self::with_loaded(Some(loaded), None, step, theme),
            Err(message) => {
                let first = lessons::ALL.first().map_or("telnet-session", |l| l.id);
                let mut state = Self::open(first, 0, theme);
                state.notice = Some(message);
                state
            }
        }
    }

    /// A permalink parameter's scenario, run; or a message for the learner saying why not.
    fn link(param: &str) -> Result<Loaded, String> {
        permalink::decode(param).map_err(|e| format!("The link's scenario could not be read: {e}.")).and_then(
            |source| {
                Loaded::from_source(None, &source).map_err(|e| {
                    format!(
                        "The link's scenario could not be loaded: line {}, column {}: {}.",
                        e.line, e.column, e.message
                    )
                })
            },
        )
    }

    fn with_loaded(
        loaded: Option<Loaded>,
        notice: Option<String>,
        step: usize,
        theme: Option<Theme>,
    ) -> Self {
        let position = loaded.as_ref().map_or(0, |l| step.min(l.timeline.steps.len()));
        Self {
            pristine: loaded.as_ref().map(|l| (l.lesson.clone(), l.source.clone())),
            lab: None,
            console: Console::default(),
            picker: loaded.is_none(),
            loaded,
            notice,
            position,
            playing: false,
            speed: NORMAL_SPEED,
            crlf: false,
            help: false,
            intro: false,
            progress: Progress::default(),
            presenter: false,
            predict: None,
            theme,
            opened: None,
            embed: None,
        }
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

    /// Re-runs the scenario's text with the console's session in it (none without lines)
    /// and shows the run's end. A line the run refuses is taken back, with a notice.
    fn run_console(mut self) -> Self {
        let Some(loaded) = &self.loaded else { return self };
        let (lesson, source) = (loaded.lesson.clone(), loaded.source.clone());
        let run = match self.console.server.as_deref().filter(|_| !self.console.lines.is_empty()) {
            Some(server) => console::console_scenario(&source, server, &self.console.lines)
                .map(|scenario| Loaded::from_scenario(lesson, &source, scenario)),
            None => Loaded::from_source(lesson, &source),
        };
        self.playing = false;
        match run {
            Ok(loaded) => {
                self.loaded = Some(loaded);
                self.notice = None;
                self.opened = None;
                self.predict = self.predict.map(|_| Predict::default());
                let end = self.len();
                self.seek(end)
            }
            Err(e) => {
                self.console.lines.pop();
                self.notice = Some(format!("The console could not run: {}.", e.message));
                self
            }
        }
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
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        // A console run jumps to its end by itself: that is not the learner reaching it.
        let console =
            matches!(action, Action::ConsoleServer(_) | Action::ConsoleSend(_) | Action::ConsoleClear);
        let mut state = match action {
            Action::OpenLesson(id) => {
                let mut opened = State::open(&id, 0, state.theme);
                opened.speed = state.speed;
                opened.crlf = state.crlf;
                opened.presenter = state.presenter;
                opened.predict = state.predict.map(|_| Predict::default());
                opened.picker = opened.loaded.is_none();
                opened.progress = state.progress;
                opened.lab = state.lab;
                opened.embed = state.embed;
                opened
            }
            Action::OpenLink(param, step) => {
                state.playing = false;
                let same = permalink::decode(&param)
                    .is_ok_and(|source| state.loaded.as_ref().is_some_and(|l| *l.source == *source));
                if same {
                    state.seek(step)
                } else {
                    match State::link(&param) {
                        Ok(loaded) => {
                            state.pristine = Some((None, loaded.source.clone()));
                            state.loaded = Some(loaded);
                            state.notice = None;
                            state.opened = None;
                            state.picker = false;
                            state.intro = false;
                            state.predict = state.predict.map(|_| Predict::default());
                            state.console = Console::default();
                            state.seek(step)
                        }
                        Err(message) => {
                            state.notice = Some(message);
                            state
                        }
                    }
                }
            }
            Action::LoadSource(source) => match Loaded::from_source(None, &source) {
                Ok(loaded) => {
                    state.loaded = Some(loaded);
                    state.notice = None;
                    state.playing = false;
                    state.opened = None;
                    state.picker = false;
                    state.predict = state.predict.map(|_| Predict::default());
                    state.console.lines.clear();
                    state.seek(0)
                }
                Err(e) => {
                    state.playing = false;
                    state.notice = Some(format!(
                        "The scenario could not be loaded: line {}, column {}: {}.",
                        e.line, e.column, e.message
                    ));
                    state
                }
            },
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
                state.console = Console { server: Some(server), lines: Vec::new() };
                state.run_console()
            }
            Action::ConsoleSend(line) => {
                state.console.lines.push(line);
                state.run_console()
            }
            Action::ConsoleClear => {
                state.console.lines.clear();
                state.run_console()
            }
        };
        // Only arriving at the end counts: a page opened at the end (a shared link, a
        // reload) marks nothing until the learner steps there.
        let stayed_at_end = self.at_end()
            && match (&self.loaded, &state.loaded) {
                (Some(before), Some(after)) => Rc::ptr_eq(&before.timeline, &after.timeline),
                _ => false,
            };
        if !console && !stayed_at_end {
            state.record_progress();
        }
        Rc::new(state)
    }
}
