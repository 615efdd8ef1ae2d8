use yew::prelude::*;

use crate::ui::browser;
use crate::ui::state::{Action, LabTab, Theme};

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub picker: bool,
    /// Whether the "Start here" introduction is open.
    pub intro: bool,
    pub presenter: bool,
    pub predict: bool,
    pub theme: Option<Theme>,
    /// Whether the lab (console, editor, message, share & export) is open.
    pub lab: bool,
    pub on_action: Callback<Action>,
}

/// The page's header: the introduction, the lesson list, the classroom modes, the theme
/// and help.
#[component(Toolbar)]
pub fn toolbar(props: &ToolbarProps) -> Html {
    let send = |action: Action| props.on_action.reform(move |_: MouseEvent| action.clone());
    let dark = props.theme.map_or_else(browser::prefers_dark, |t| t == Theme::Dark);
    let toggle_theme = send(Action::Theme(if dark { Theme::Light } else { Theme::Dark }));
    let presenter = {
        let on_action = props.on_action.clone();
        let on = !props.presenter;
        // Full screen may only be asked for inside the click itself.
        Callback::from(move |_: MouseEvent| {
            browser::set_fullscreen(on);
            on_action.emit(Action::TogglePresenter);
        })
    };
    html! {
        <header class="toolbar">
            <h1>{ "SMTP Playground" }</h1>
            <nav class="tools" aria-label="Player options">
                <button id="intro-toggle" aria-haspopup="dialog" aria-expanded={props.intro.to_string()}
                    onclick={send(Action::ToggleIntro)}
                    title="How email travels, and the lessons in order">{ "Start here" }</button>
                <button id="lessons-toggle" aria-expanded={props.picker.to_string()} aria-controls="picker"
                    onclick={send(Action::TogglePicker)}>{ "☰ Lessons" }</button>
                <button id="lab-toggle" aria-expanded={props.lab.to_string()} aria-controls="lab"
                    onclick={send(Action::Lab((!props.lab).then_some(LabTab::Console)))}
                    title="Type SMTP, edit the scenario, send your own message, share and export">{ "Lab" }</button>
                <button id="predict-toggle" aria-pressed={props.predict.to_string()} onclick={send(Action::TogglePredict)}
                    title="Pause before each reply and guess it">{ "Predict the reply" }</button>
                <button id="presenter-toggle" aria-pressed={props.presenter.to_string()} onclick={presenter}
                    title="Large type and full screen; PageUp/PageDown step">{ "Presenter" }</button>
                // A toggle's name stays the same and aria-pressed says its state; the visible
                // text is that name, so a voice user can say what they see (WCAG 2.5.3).
                <button id="theme-toggle" aria-pressed={dark.to_string()} onclick={toggle_theme}
                    title={if dark { "Dark theme is on" } else { "Dark theme is off" }}>
                    <span aria-hidden="true">{ if dark { "☾ " } else { "☀ " } }</span>{ "Dark theme" }</button>
                <button id="help-toggle" aria-label="Keyboard shortcuts" onclick={send(Action::ToggleHelp)}>{ "?" }</button>
            </nav>
        </header>
    }
}
