//! The theme as a hook: the one chosen with the button (kept in this browser), else the
//! system's, followed as it changes; set on the root element so CSS variables follow it.

use gloo_events::EventListener;
use yew::prelude::*;

use crate::page::state::{Action, AppState};

/// Where the theme chosen with the button is kept (this browser only; never sent anywhere).
const THEME_KEY: &str = "tunnelscope.theme";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The theme chosen with the button, if any.
fn chosen_dark() -> Option<bool> {
    match local_storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).as_deref() {
        Some("dark") => Some(true),
        Some("light") => Some(false),
        _ => None,
    }
}

fn system_query() -> Option<web_sys::MediaQueryList> {
    web_sys::window().and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
}

/// The theme chosen earlier, else the system's.
pub(super) fn initial_dark() -> bool {
    chosen_dark().unwrap_or_else(|| system_query().is_some_and(|m| m.matches()))
}

/// Remembers the theme chosen with the button.
pub(super) fn choose_dark(dark: bool) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(THEME_KEY, if dark { "dark" } else { "light" });
    }
}

/// Sets the theme on the root element, and follows the system's while none was chosen.
#[hook]
pub(super) fn use_theme(state: &UseReducerHandle<AppState>) {
    use_effect_with(state.dark, |dark| {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-theme", if *dark { "dark" } else { "light" });
        }
    });
    let d = state.dispatcher();
    use_effect_with((), move |_| {
        let listener = system_query().map(|query| {
            let target = query.clone();
            EventListener::new(&query, "change", move |_| {
                if chosen_dark().is_none() {
                    d.dispatch(Action::SetDark(target.matches()));
                }
            })
        });
        move || drop(listener)
    });
}
