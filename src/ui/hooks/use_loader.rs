use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::played::Played;
#[cfg(feature = "full")]
use crate::scenario::service::Answer;
use crate::ui::browser;
use crate::ui::state::{Action, Failure, Fetch, State};

/// Fetches what the state waits for ([`State::pending`]): a lesson's static data
/// (`lessons/ID.json`), or the simulator worker's answer to a request. The result comes back
/// as [`Action::Arrived`] with the request's number, so a late answer is told apart. The
/// player module has no simulator client: a request waits for the full module, which it
/// loads (`use_full`) and which answers it.
#[hook]
pub fn use_loader(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    let pending = state.pending.clone();
    use_effect_with(pending.as_ref().map(|p| p.seq), move |_| {
        let Some(pending) = pending else { return };
        let seq = pending.seq;
        match pending.fetch {
            Fetch::Lesson(id) => wasm_bindgen_futures::spawn_local(async move {
                // The full player works on the lesson's text too: both travel at once.
                #[cfg(feature = "full")]
                let text = browser::start_fetch(&format!("lessons/{id}.toml"));
                let result = match browser::fetch_text(&format!("lessons/{id}.json")).await {
                    Ok(json) => {
                        let played = serde_json::from_str::<Played>(&json).map_err(|e| {
                            Failure::Refused(format!("The lesson “{id}” could not be read: {e}."))
                        });
                        #[cfg(feature = "full")]
                        let played = match played {
                            Ok(mut played) => with_text(&mut played, browser::text_of(text).await)
                                .map(|()| played)
                                .map_err(Failure::Refused),
                            Err(failure) => Err(failure),
                        };
                        #[cfg(not(feature = "full"))]
                        crate::ui::handover::remember_lesson(id, json);
                        played.map(Rc::new)
                    }
                    Err(why) => {
                        Err(Failure::Refused(format!("The lesson “{id}” could not be loaded: {why}.")))
                    }
                };
                dispatcher.dispatch(Action::Arrived(seq, result));
            }),
            #[cfg(feature = "full")]
            Fetch::Simulator(request) => crate::ui::simulator::ask(&request, move |answer| {
                dispatcher.dispatch(Action::Arrived(seq, run_of(answer)));
            }),
            #[cfg(not(feature = "full"))]
            Fetch::Simulator(_) => {}
        }
    });
}

/// A lesson's data with its scenario's text (`lessons/ID.toml`) put in, or why it could not
/// be (the full player's lab would have no text to work on).
#[cfg(feature = "full")]
pub fn with_text(played: &mut Played, text: Result<String, String>) -> Result<(), String> {
    let id = played.lesson.as_deref().unwrap_or_default();
    played.source =
        text.map_err(|why| format!("The text of the lesson “{id}” could not be loaded: {why}."))?;
    Ok(())
}

/// A run from the simulator's answer, or why there is none.
#[cfg(feature = "full")]
pub fn run_of(answer: Result<Answer, String>) -> Result<Rc<Played>, Failure> {
    match answer {
        Ok(Answer::Played(played)) => Ok(Rc::new(*played)),
        Ok(Answer::Invalid(e)) => Err(Failure::Invalid(e)),
        Ok(Answer::Refused(why)) | Err(why) => Err(Failure::Refused(why)),
        Ok(Answer::Valid | Answer::Text(_)) => {
            Err(Failure::Refused("The simulator answered something else.".into()))
        }
    }
}
