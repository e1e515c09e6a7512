//! The URL fragment as a hook: kept in step with the view (query, window, grouping, selection,
//! the files' fingerprint), and Back or Forward turned into the entry's view again.

use tunnelscope_core::i18n::Lang;
use tunnelscope_core::view_state::ViewState;
use tunnelscope_core::views::Grouping;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::page::hooks::use_window_event;
use crate::page::state::{Action, AppState, ViewChange, files_fingerprint};

/// The page's fragment, `#` included.
pub(super) fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Writes the fragment: a new history entry when `push` (Back returns to the view before),
/// else in place.
fn write_hash(fragment: &str, push: bool) {
    let Some(w) = web_sys::window() else { return };
    let Ok(history) = w.history() else { return };
    let url = if fragment.is_empty() {
        w.location().pathname().unwrap_or_default() + &w.location().search().unwrap_or_default()
    } else {
        format!("#{fragment}")
    };
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
}

/// Removes the fragment (the dataset was cleared).
pub(super) fn clear_fragment() {
    write_hash("", false);
}

/// True when going from `from` to `to` is a step a person would want Back to undo: another
/// query, window, grouping or selection (a query applies on Enter, so never per keystroke).
/// The files' fingerprint changing is not: that entry is rewritten in place.
fn is_navigation(from: &ViewState, to: &ViewState) -> bool {
    (&from.query, from.window, &from.grouping, &from.selected, &from.gap, &from.settings)
        != (&to.query, to.window, &to.grouping, &to.selected, &to.gap, &to.settings)
}

/// Keeps the fragment in step with `state`, and follows Back and Forward.
#[hook]
pub(super) fn use_fragment(state: &UseReducerHandle<AppState>) {
    {
        let r = &state.request;
        let files = state.files.clone();
        let deps = (
            r.query.clone(),
            r.window,
            r.grouping,
            state.selected.clone(),
            state.view.n_events_total,
            r.gap.clone(),
            r.settings.clone(),
            state.lang,
        );
        use_effect_with(deps, move |(query, window, grouping, selected, n_events, gap, settings, lang)| {
            let lang = if *lang == Lang::DEFAULT { String::new() } else { lang.code().to_owned() };
            // A language in the link is rewritten whenever it changes, data or none.
            let lang_changed = ViewState::from_fragment(&location_hash()).lang != lang;
            if *n_events > 0 || !query.is_empty() || lang_changed {
                let vs = ViewState {
                    query: query.clone(),
                    window: *window,
                    grouping: if *grouping == Grouping::default() {
                        String::new()
                    } else {
                        grouping.as_str().to_owned()
                    },
                    selected: selected.clone(),
                    fingerprint: files_fingerprint(&files),
                    gap: gap.clone(),
                    settings: settings.clone(),
                    lang,
                };
                let fragment = vs.to_fragment();
                let current = location_hash();
                let current = current.strip_prefix('#').unwrap_or(&current);
                if fragment != current {
                    write_hash(&fragment, is_navigation(&ViewState::from_fragment(current), &vs));
                }
            }
        });
    }
    // Back and Forward: the entry's fragment becomes the view again; the data stays loaded.
    let on_popstate = {
        let d = state.dispatcher();
        use_memo((), move |_| {
            Callback::from(move |_: web_sys::Event| {
                let link = ViewState::from_fragment(&location_hash());
                // A link that names a language (typed or pasted into this tab) switches to it.
                if let Some(lang) = Lang::from_code(&link.lang) {
                    d.dispatch(Action::SetLang(lang));
                }
                let selected = link.selected.clone();
                d.dispatch(Action::ChangeView(ViewChange::Restore(link)));
                d.dispatch(Action::Select(selected));
            })
        })
    };
    use_window_event("popstate", (*on_popstate).clone());
}
