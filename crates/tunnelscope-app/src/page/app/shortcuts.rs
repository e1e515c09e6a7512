//! The page's keyboard shortcuts as a hook: / focuses the filter, ? opens the help, Esc closes
//! it (else the detail), L switches the time zone.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::page::hooks::use_document_event;
use crate::page::state::{Action, AppState};

/// Listens for the shortcuts while the page is mounted.
#[hook]
pub(super) fn use_shortcuts(dispatcher: UseReducerDispatcher<AppState>) {
    let on_key = use_memo((), move |_| {
        Callback::from(move |e: KeyboardEvent| {
            let in_input = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
            match e.key().as_str() {
                "Escape" => dispatcher.dispatch(Action::Escape),
                _ if in_input => {}
                "/" => {
                    e.prevent_default();
                    let input = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector("[data-testid=filter-input]").ok().flatten())
                        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
                    if let Some(input) = input {
                        let _ = input.focus();
                    }
                }
                "?" => dispatcher.dispatch(Action::ToggleHelp),
                "l" | "L" => dispatcher.dispatch(Action::ToggleLocalTime),
                _ => {}
            }
        })
    });
    use_document_event("keydown", (*on_key).clone());
}
