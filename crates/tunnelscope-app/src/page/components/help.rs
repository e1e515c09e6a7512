//! Help: keyboard shortcuts and the query language, from the core's own table.

use tunnelscope_core::query::QUERY_HELP;
use yew::prelude::*;

use crate::page::i18n::use_texts;

/// Props of [`Help`].
#[derive(Properties, PartialEq)]
pub struct HelpProps {
    /// Called to close.
    pub on_close: Callback<()>,
}

/// The help overlay.
#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let t = use_texts();
    let keys = ["/", "?", "Esc", "W / S", "A / D", "0", "L"];
    html! {
        <div class="help" data-testid="help" role="dialog" aria-label={t.help_label}>
            <div class="help__box">
                <div class="help__bar"><h2>{t.shortcuts}</h2><button onclick={on_close}>{t.close}</button></div>
                <table>
                    {for keys.iter().zip(t.keys).map(|(k, what)| html! { <tr><td class="mono">{*k}</td><td>{what}</td></tr> })}
                </table>
                <h2>{t.query_language}</h2>
                <p>{t.query_rules}</p>
                <table>{for QUERY_HELP.iter().map(|(term, meaning)| html! { <tr><td class="mono">{*term}</td><td>{(t.query_help)(term, meaning)}</td></tr> })}</table>
            </div>
        </div>
    }
}
