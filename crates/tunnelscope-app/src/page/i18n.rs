//! The page's language: chosen from the link's `lang=`, else the one chosen with the switch
//! (kept in this browser), else the browser's languages; given to every component as a
//! context ([`use_texts`]), set as `<html lang>`. The strings are the core's `i18n` tables.

use tunnelscope_core::i18n::{Lang, Texts};
use tunnelscope_core::view_state::ViewState;
use yew::prelude::*;

/// Where the language chosen with the switch is kept (this browser only).
const LANG_KEY: &str = "tunnelscope.lang";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The browser's languages, best first.
fn browser_languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let list: Vec<String> = nav.languages().iter().filter_map(|v| v.as_string()).collect();
    if list.is_empty() { nav.language().into_iter().collect() } else { list }
}

/// The language to open in: the link's, else the one chosen earlier, else the browser's.
pub fn initial_lang(fragment: &str) -> Lang {
    let link = ViewState::from_fragment(fragment).lang;
    Lang::from_code(&link)
        .or_else(|| local_storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten()).and_then(|c| Lang::from_code(&c)))
        .unwrap_or_else(|| Lang::from_browser(&browser_languages()))
}

/// Remembers the language chosen with the switch.
pub fn choose_lang(lang: Lang) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(LANG_KEY, lang.code());
    }
}

/// The strings of the page's language (the context [`crate::page::app::App`] provides).
#[hook]
pub fn use_texts() -> &'static Texts {
    use_context::<Lang>().unwrap_or_default().texts()
}

/// Keeps `<html lang>` on the page's language.
#[hook]
pub fn use_html_lang(lang: Lang) {
    use_effect_with(lang, |lang| {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("lang", lang.code());
        }
    });
}

thread_local! {
    static CURRENT: std::cell::Cell<Lang> = const { std::cell::Cell::new(Lang::DEFAULT) };
}

/// Sets the language that [`texts`] answers (the root component, as it renders).
pub fn set_current(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
}

/// The strings of the page's language, for helpers outside a component's render (tooltips,
/// the canvases): the language the root component last rendered in.
pub fn texts() -> &'static Texts {
    CURRENT.with(|c| c.get()).texts()
}
