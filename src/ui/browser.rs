//! The few places the player touches the browser beyond rendering: the URL, local
//! storage, the theme attribute, full screen, file downloads and the panic panel.
//! Failures here are cosmetic (a private-mode storage error, a refused full screen), so
//! they are ignored rather than allowed to break the page.

use wasm_bindgen::{JsCast as _, JsValue};

use super::embed::{EmbedOptions, Panels, valid_origin};
use super::progress::Progress;
use super::state::Theme;

const THEME_KEY: &str = "smtp-playground-theme";
const PROGRESS_KEY: &str = "smtp-playground-progress";
/// Longer stored progress is not ours (24 lessons take about 1 KB): it is ignored.
const MAX_PROGRESS_CHARS: usize = 16_384;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn document() -> Option<web_sys::Document> {
    window()?.document()
}

/// The `?lesson=ID&step=N` the page was opened with.
pub fn read_location() -> (Option<String>, usize) {
    let search = window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let (mut lesson, mut step) = (None, 0);
    for pair in search.trim_start_matches('?').split('&') {
        match pair.split_once('=') {
            Some(("lesson", value)) => lesson = Some(percent_decode(value)),
            Some(("step", value)) => step = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    (lesson, step)
}

/// The value of the query parameter `name` the page was opened with (`?scenario=…`, the
/// form share links had before issue 14).
pub fn read_param(name: &str) -> Option<String> {
    let search = window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search.trim_start_matches('?').split('&').find_map(|pair| {
        pair.split_once('=').filter(|(key, _)| *key == name).map(|(_, value)| percent_decode(value))
    })
}

/// Embed mode's options, when the page was opened with `?embed=1` (see [`EmbedOptions`]):
/// `panels=lanes,transcript,…`, `autoplay=1`, `parent=ORIGIN`.
pub fn read_embed() -> Option<EmbedOptions> {
    let search = window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let mut options = EmbedOptions::default();
    let mut embed = false;
    for pair in search.trim_start_matches('?').split('&') {
        match pair.split_once('=') {
            Some(("embed", value)) => embed = value == "1",
            Some(("panels", value)) => options.panels = Panels::parse(&percent_decode(value)),
            Some(("autoplay", value)) => options.autoplay = value == "1",
            Some(("parent", value)) => options.parent = valid_origin(&percent_decode(value)),
            _ => {}
        }
    }
    embed.then_some(options)
}

/// Whether the page runs inside a frame (an embedding page's iframe).
pub fn in_frame() -> bool {
    let Some(window) = window() else { return false };
    match window.parent() {
        Ok(Some(parent)) => {
            let (parent, own): (&JsValue, &JsValue) = (parent.as_ref(), window.as_ref());
            parent != own
        }
        _ => false,
    }
}

/// Whether the CSS media query `query` matches now.
fn media_matches(query: &str) -> bool {
    window().and_then(|w| w.match_media(query).ok().flatten()).is_some_and(|m| m.matches())
}

/// Whether the system asks for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    media_matches("(prefers-reduced-motion: reduce)")
}

/// Whether the window is as narrow as the stylesheet's one-column layout (`max-width: 48rem`,
/// a phone or a small tablet).
pub fn narrow_window() -> bool {
    media_matches("(max-width: 48rem)")
}

/// Decodes `%XX` escapes and `+`; invalid escapes stay as typed.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|h| (*h as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces the URL's query with this lesson and step, without a history entry (a
/// fragment goes: the lesson is the one played).
pub fn write_location(lesson: &str, step: usize) {
    let Some(window) = window() else { return };
    let query = format!("?lesson={lesson}&step={step}");
    let location = window.location();
    if location.search().ok().as_deref() == Some(query.as_str())
        && location.hash().ok().is_none_or(|hash| hash.is_empty())
    {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&query));
    }
}

/// What a share link carries after `#` (issue 14): `scenario=PARAM&step=N`. The
/// fragment never reaches the server, so neither does the scenario (nor a learner's
/// message in it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fragment {
    /// The permalink parameter, when the fragment names one (possibly empty or damaged:
    /// [`crate::scenario::permalink::decode`] says why).
    pub scenario: Option<String>,
    /// The step, 0 when absent or not a number.
    pub step: usize,
}

impl Fragment {
    /// Reads `#scenario=…&step=N` (the `#` optional, the pairs in any order); other pairs
    /// are ignored.
    pub fn parse(hash: &str) -> Self {
        let mut fragment = Self::default();
        for pair in hash.trim_start_matches('#').split('&') {
            match pair.split_once('=') {
                Some(("scenario", value)) => fragment.scenario = Some(percent_decode(value)),
                Some(("step", value)) => fragment.step = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        fragment
    }
}

/// The fragment the page was opened with (or that the address bar now holds).
pub fn read_fragment() -> Fragment {
    Fragment::parse(&window().and_then(|w| w.location().hash().ok()).unwrap_or_default())
}

/// The page's own address with `#scenario=PARAM&step=N` (a permalink); the address bar gets
/// it too, without a history entry and without any query (an old `?scenario=` link leaves
/// the query this way). `param` is base64url, so it needs no escaping.
pub fn write_scenario_location(param: &str, step: usize) -> String {
    let fragment = format!("#scenario={param}&step={step}");
    let Some(window) = window() else { return fragment };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    if (!search.is_empty() || location.hash().ok().as_deref() != Some(fragment.as_str()))
        && let Ok(history) = window.history()
    {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{fragment}")));
    }
    format!("{}{path}{fragment}", location.origin().unwrap_or_default())
}

/// Puts `text` on the clipboard; `done` hears whether it worked (it may be refused, e.g.
/// without a user gesture or over plain HTTP — the caller then shows a field to copy from).
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(window) = window() else { return done(false) };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
    });
}

/// Reads the first file chosen in `input` as text and hands it to `done` (UTF-8; a file
/// that is not becomes text with U+FFFD where its bytes were not).
pub fn read_file(input: &web_sys::HtmlInputElement, done: impl FnOnce(String, String) + 'static) {
    let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
    let name = file.name();
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        if let Some(text) = text.ok().and_then(|t| t.as_string()) {
            done(name, text);
        }
    });
}

/// The theme the learner chose last time, if any.
pub fn stored_theme() -> Option<Theme> {
    match storage()?.get_item(THEME_KEY).ok()??.as_str() {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        _ => None,
    }
}

/// The page's local storage, when the browser lets the page have it (not in some private
/// modes, nor in a sandboxed frame without same-origin).
fn storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok()?
}

/// The progress stored by earlier visits (none when storage is refused).
pub fn stored_progress() -> Progress {
    storage()
        .and_then(|s| s.get_item(PROGRESS_KEY).ok()?)
        .filter(|text| text.len() <= MAX_PROGRESS_CHARS)
        .map(|text| Progress::parse(&text))
        .unwrap_or_default()
}

/// Stores `progress` together with what is stored already (another tab may have added
/// marks). A refused or full storage only means the marks do not outlive the page.
pub fn store_progress(progress: &Progress) {
    let Some(storage) = storage() else { return };
    let mut all = stored_progress();
    all.merge(progress);
    let _ = storage.set_item(PROGRESS_KEY, &all.encode());
}

/// Whether the system asks for a dark theme.
pub fn prefers_dark() -> bool {
    media_matches("(prefers-color-scheme: dark)")
}

/// Applies a chosen theme to the page and remembers it.
pub fn apply_theme(theme: Theme) {
    let name = match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", name);
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(THEME_KEY, name);
    }
}

/// Moves the keyboard focus to the element with `id`, if there is one and it can take it.
pub fn focus_id(id: &str) {
    let element = document().and_then(|d| d.get_element_by_id(id));
    if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// Asks for full screen (must run inside a user gesture) or leaves it.
pub fn set_fullscreen(on: bool) {
    let Some(document) = document() else { return };
    if on {
        if document.fullscreen_element().is_none()
            && let Some(root) = document.document_element()
        {
            let _ = root.request_fullscreen();
        }
    } else if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    }
}

/// Offers `text` as a download named `name` (a Blob behind an object URL).
pub fn download_text(name: &str, text: &str) {
    let Some(document) = document() else { return };
    let parts: JsValue = vec![JsValue::from_str(text)].into();
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(link) = document.create_element("a").map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>()) {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    // Revoked once the browser has started reading the Blob.
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// Shows a fixed error panel over the page. The panic hook calls it, so it builds the
/// element with plain DOM calls and never relies on Yew still running.
pub fn show_error_panel(message: &str) {
    let Some(document) = document() else { return };
    let Some(body) = document.body() else { return };
    if document.get_element_by_id("panic-panel").is_some() {
        return;
    }
    let Ok(panel) = document.create_element("div") else { return };
    panel.set_id("panic-panel");
    let _ = panel.set_attribute("role", "alert");
    let _ = panel.set_attribute("class", "panic-panel");
    let heading = document.create_element("h2").ok();
    let detail = document.create_element("pre").ok();
    let hint = document.create_element("p").ok();
    if let (Some(heading), Some(detail), Some(hint)) = (heading, detail, hint) {
        heading.set_text_content(Some("Something went wrong in the player"));
        detail.set_text_content(Some(message));
        hint.set_text_content(Some("Reload the page to start again. If it happens again, please report the lesson, the step and the message above."));
        let _ = panel.append_child(&heading);
        let _ = panel.append_child(&detail);
        let _ = panel.append_child(&hint);
    }
    let _ = body.append_child(&panel);
}

/// Fetches a text file next to the page (a lesson's data), or says why not.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    text_of(start_fetch(url)).await
}

/// A fetch of `url` started now (a request is sent as soon as this returns), its answer
/// already listened for, so a failure is never an unhandled rejection even if [`text_of`]
/// never reads it. Two started one after the other travel at once.
pub fn start_fetch(url: &str) -> Result<wasm_bindgen_futures::JsFuture, String> {
    Ok(window().ok_or("no window")?.fetch_with_str(url).into())
}

/// The text a [`start_fetch`] brought, or why there is none.
pub async fn text_of(fetch: Result<wasm_bindgen_futures::JsFuture, String>) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let response = fetch?.await.map_err(|_| "the network refused it".to_owned())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "no response".to_owned())?;
    if !response.ok() {
        return Err(format!("the server answered {}", response.status()));
    }
    let text = response.text().map_err(|_| "no body".to_owned())?;
    JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| "the body could not be read".to_owned())
}

/// Runs `then` in the next animation frame, where the browser lays the page out anyway:
/// code that reads a layout (an offset, a scroll width) there does not force one inside the
/// task that changed the page, which would lengthen that task. The returned function cancels
/// the frame if it has not run (an effect's clean-up, when a newer step comes first).
pub fn in_next_frame(then: Box<dyn FnOnce()>) -> impl FnOnce() {
    let window = window();
    // Boxed: one closure type for every caller, so its glue is in the module once.
    let then = wasm_bindgen::closure::Closure::once(then);
    let frame = window.as_ref().and_then(|w| w.request_animation_frame(then.as_ref().unchecked_ref()).ok());
    move || {
        if let (Some(window), Some(frame)) = (window, frame) {
            let _ = window.cancel_animation_frame(frame);
        }
        drop(then);
    }
}

/// Calls a function the page defines on `window` (`index.html`), with no arguments; `None`
/// when there is none or it throws.
pub fn call_global(name: &str) -> Option<JsValue> {
    global_function(name)?.call0(&JsValue::NULL).ok()
}

/// Whether the page has a global function `name`.
pub fn has_global(name: &str) -> bool {
    global_function(name).is_some()
}

/// The page's global function `name`, if it has one.
fn global_function(name: &str) -> Option<web_sys::js_sys::Function> {
    let window = window()?;
    web_sys::js_sys::Reflect::get(&window, &JsValue::from_str(name)).ok()?.dyn_into().ok()
}
