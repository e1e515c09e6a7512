//! FilterBar: the query box (applies on Enter) and, when a query does not parse, a plain note
//! beside it: the query is not applied, where it goes wrong (marked), and which query the data
//! on screen is filtered by (issue 17).
//!
//! A query typed into the box is parsed here first (the core's parser, microseconds): one that
//! does not parse is never sent, so the data keeps the query that was in effect and the box
//! keeps the text to be fixed. A query that arrives already broken (a link's fragment) reaches
//! the engine, which answers it unfiltered: then the note says that everything is shown.

use tunnelscope_core::query::Query;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::page::i18n::use_texts;

/// Props of [`FilterBar`].
#[derive(Properties, PartialEq)]
pub struct FilterBarProps {
    /// The applied query (the newest view request's).
    pub query: String,
    /// The engine's report on that query, if it did not parse. Not shown: the bar reads
    /// `query` with the same parser, while this report can belong to an older view.
    pub error: Option<String>,
    /// Called with the query text on Enter, when it parses.
    pub on_query: Callback<String>,
}

/// Why the query in the box is not the one applied, for the note beside the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotApplied {
    /// The query that is not applied, cut around the error: before it, the part at fault
    /// (marked on the page), after it.
    pub(crate) before: String,
    pub(crate) bad: String,
    pub(crate) after: String,
    /// What is wrong, with the position for people (1-based character).
    pub(crate) message: String,
    /// Where it goes wrong: the character, counted from 1.
    pub(crate) at: usize,
    /// The query the data on screen is filtered by; empty: none (everything is shown).
    pub(crate) showing: String,
}

/// The note for the box: `refused` is a query typed and not sent (it did not parse), `applied`
/// the query of the view request. `None` when the box shows the query in effect.
pub(crate) fn not_applied(refused: Option<&str>, applied: &str) -> Option<NotApplied> {
    let applied_ok = Query::parse(applied).is_ok();
    let (text, showing) = match refused {
        Some(text) => (text, if applied_ok { applied } else { "" }),
        // A broken query that was sent anyway (a link) is answered unfiltered by the engine.
        None if !applied_ok => (applied, ""),
        None => return None,
    };
    let e = Query::parse(text).err()?;
    let range = e.byte_range(text);
    Some(NotApplied {
        before: text[..range.start].to_owned(),
        bad: text[range.clone()].to_owned(),
        after: text[range.end..].to_owned(),
        message: e.message.clone(),
        at: e.start + 1,
        showing: showing.to_owned(),
    })
}

/// The query box.
#[function_component(FilterBar)]
pub fn filter_bar(props: &FilterBarProps) -> Html {
    // A query typed and refused, with the applied query it was typed over: the note holds
    // while that query is applied (a filter link or Clear moves on from it).
    let refused = use_state(|| None::<(String, String)>);
    {
        let refused = refused.clone();
        use_effect_with(props.query.clone(), move |query| {
            if refused.as_ref().is_some_and(|(_, over)| over != query) {
                refused.set(None);
            }
        });
    }
    let active = refused.as_ref().filter(|(_, over)| *over == props.query).map(|(text, _)| text.as_str());
    let note = not_applied(active, &props.query);
    let on_key = {
        let on_query = props.on_query.clone();
        let refused = refused.clone();
        let applied = props.query.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Enter" {
                return;
            }
            let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
            let text = input.value();
            match Query::parse(&text) {
                Ok(_) => {
                    refused.set(None);
                    on_query.emit(text);
                }
                Err(err) => {
                    // Not sent: the data keeps the applied query; the part at fault is selected.
                    let r = err.utf16_range(&text);
                    let _ = input.set_selection_range(r.start as u32, r.end as u32);
                    refused.set(Some((text, applied.clone())));
                }
            }
        })
    };
    let value = active.unwrap_or(&props.query).to_owned();
    let t = use_texts();
    html! {
        <div class="filter-bar">
            <input
                class="filter-bar__input"
                type="search"
                data-testid="filter-input"
                placeholder={t.filter_placeholder}
                value={value}
                onkeydown={on_key}
                spellcheck="false"
                aria-invalid={if note.is_some() { "true" } else { "false" }}
                aria-describedby={note.is_some().then_some("filter-error")}
            />
            if let Some(n) = &note {
                <div class="filter-bar__error" id="filter-error" data-testid="filter-error" role="alert">
                    <div><strong>{t.not_applied}</strong>{(t.at_character)(&(t.query_error)(&n.message), n.at)}</div>
                    <div class="mono" data-testid="filter-error-query">
                        {n.before.clone()}<mark data-testid="filter-error-span">{n.bad.clone()}</mark>{n.after.clone()}
                    </div>
                    <div data-testid="filter-in-effect">
                        {t.showing}
                        if n.showing.is_empty() {
                            {t.everything}
                        } else {
                            <code class="mono">{n.showing.clone()}</code>
                        }
                    </div>
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_query_names_its_fault_and_the_query_still_applied() {
        let n = not_applied(Some("user:alice OR"), "port:22").unwrap();
        assert_eq!((n.before.as_str(), n.bad.as_str(), n.after.as_str()), ("user:alice ", "OR", ""));
        assert!(n.message.contains("needs a term after it") && n.at == 12, "{n:?}");
        assert_eq!(n.showing, "port:22");
        let n = not_applied(Some("(user:alice"), "").unwrap();
        assert_eq!((n.before.as_str(), n.bad.as_str(), n.after.as_str()), ("", "(", "user:alice"));
        assert_eq!(n.showing, "", "nothing applied: everything is shown");
        // Characters, not bytes: the mark lands on the term at fault.
        let n = not_applied(Some("é ü port:x"), "").unwrap();
        assert_eq!((n.before.as_str(), n.bad.as_str()), ("é ü ", "port:x"));
    }

    #[test]
    fn a_broken_query_that_was_sent_is_answered_unfiltered() {
        let n = not_applied(None, "user:ali* port:2*").unwrap();
        assert_eq!(n.bad, "port:2*");
        assert_eq!(n.showing, "");
        // A refusal typed over a broken applied query: nothing is in effect either.
        assert_eq!(not_applied(Some("x)"), "(y").unwrap().showing, "");
    }

    #[test]
    fn a_query_in_effect_needs_no_note() {
        assert_eq!(not_applied(None, ""), None);
        assert_eq!(not_applied(None, "(user:alice OR user:carol) event:Describe*"), None);
        // A refused text that parses after all (never kept, but harmless) needs none either.
        assert_eq!(not_applied(Some("user:bob"), "port:22"), None);
    }
}
