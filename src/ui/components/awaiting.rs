//! What the player module shows where a part of the full module goes (issue 13): a short
//! note, and, for the inspectors and the lesson's recap, the request for the full module
//! once the place comes into view (on a phone the inspectors are below the fold, and may
//! never be needed). "What if…", an invitation rather than a part of the lesson, waits
//! for the full module without asking for it.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::js_sys;
use yew::prelude::*;

use crate::ui::state::Action;

#[derive(Properties, PartialEq)]
pub struct AwaitingProps {
    /// `lab`, `predict`, `whatif`, `inspectors`, `ending`, `picker`, `help` or `intro`.
    pub part: &'static str,
    /// The full module could not be loaded: say so instead of "Loading…".
    pub failed: bool,
    pub on_action: Callback<Action>,
}

#[component(Awaiting)]
pub fn awaiting(props: &AwaitingProps) -> Html {
    let place = use_node_ref();
    {
        let place = place.clone();
        let on_action = props.on_action.clone();
        // The full player draws its own parts a task after the rest, and asks for nothing.
        let observe = cfg!(not(feature = "full")) && matches!(props.part, "inspectors" | "ending");
        use_effect_with(observe, move |observe| {
            let observer = observe.then(|| ask_when_seen(&place, on_action)).flatten();
            move || {
                if let Some((observer, _callback)) = observer {
                    observer.disconnect();
                }
            }
        });
    }
    if props.part == "whatif" {
        return html! {};
    }
    if props.failed {
        return html! {
            <section class={classes!("unavailable", props.part)}>
                <p class="notice">{ "This part of the player could not be loaded." }</p>
            </section>
        };
    }
    let note = match props.part {
        "lab" => "Loading the lab…",
        "predict" => "Loading predict-the-reply…",
        "ending" => "Loading the lesson's recap…",
        "picker" => "Loading the lessons…",
        "help" => "Loading the keyboard shortcuts…",
        "intro" => "Loading “Start here”…",
        _ => "Loading the inspectors…",
    };
    html! {
        <section ref={place} class={classes!("awaiting", props.part)} aria-busy="true">
            <p class="loading-note" role="status">{ note }</p>
        </section>
    }
}

type SeenCallback = Closure<dyn FnMut(js_sys::Array)>;

/// Sends [`Action::WantFull`] once the element is in the viewport (or within 200 px of it).
fn ask_when_seen(
    place: &NodeRef,
    on_action: Callback<Action>,
) -> Option<(web_sys::IntersectionObserver, SeenCallback)> {
    let element = place.cast::<web_sys::Element>()?;
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let seen = entries
            .iter()
            .any(|e| e.dyn_into::<web_sys::IntersectionObserverEntry>().is_ok_and(|e| e.is_intersecting()));
        if seen {
            on_action.emit(Action::WantFull);
        }
    });
    let options = web_sys::IntersectionObserverInit::new();
    options.set_root_margin("200px");
    let observer =
        web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options).ok()?;
    observer.observe(&element);
    Some((observer, callback))
}
