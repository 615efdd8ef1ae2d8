use yew::prelude::*;

/// The player's control icons, drawn as inline SVG so they need no font or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Play,
    Pause,
    Next,
    Previous,
    First,
    Last,
    /// A long wait compressed ("⏩ 30 minutes later").
    FastForward,
    /// Bytes that travelled inside TLS.
    Lock,
    /// The virtual clock: a dial, so the time reads as a reading, not a button.
    Clock,
}

/// A 16×16 icon, hidden from screen readers (its button carries the label). A plain
/// function, not a component: it has no state and nothing to compare.
pub fn icon(glyph: Glyph) -> Html {
    let path = match glyph {
        Glyph::Play => "M4 2l10 6-10 6z",
        Glyph::Pause => "M3 2h4v12H3zM9 2h4v12H9z",
        Glyph::Next => "M2 2l9 6-9 6zM11 2h3v12h-3z",
        Glyph::Previous => "M14 2l-9 6 9 6zM2 2h3v12H2z",
        Glyph::First => "M2 2h2v12H2zM9 2L4 8l5 6zM15 2l-5 6 5 6z",
        Glyph::Last => "M12 2h2v12h-2zM7 2l5 6-5 6zM1 2l5 6-5 6z",
        Glyph::FastForward => "M1 3l7 5-7 5zM8 3l7 5-7 5z",
        Glyph::Lock => "M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z",
        Glyph::Clock => {
            "M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm0 2a5 5 0 1 1 0 10A5 5 0 0 1 8 3zm-.75 1.5v4.1l3 1.8.75-1.2-2.25-1.35V4.5z"
        }
    };
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <path d={path} fill="currentColor" />
        </svg>
    }
}
