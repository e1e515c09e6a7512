//! Help: keyboard shortcuts and the query language, from the core's own table.

use tunnelscope_core::query::QUERY_HELP;
use yew::prelude::*;

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
    html! {
        <div class="help" data-testid="help" role="dialog" aria-label="Keyboard shortcuts and query language">
            <div class="help__box">
                <div class="help__bar"><h2>{"Shortcuts"}</h2><button onclick={on_close}>{"close"}</button></div>
                <table>
                    <tr><td class="mono">{"/"}</td><td>{"focus the filter"}</td></tr>
                    <tr><td class="mono">{"?"}</td><td>{"this help"}</td></tr>
                    <tr><td class="mono">{"Esc"}</td><td>{"close the detail panel / help"}</td></tr>
                    <tr><td class="mono">{"W / S"}</td><td>{"zoom the timeline in / out (click it first)"}</td></tr>
                    <tr><td class="mono">{"A / D"}</td><td>{"pan the timeline left / right"}</td></tr>
                    <tr><td class="mono">{"0"}</td><td>{"reset the timeline zoom"}</td></tr>
                    <tr><td class="mono">{"L"}</td><td>{"UTC / local time"}</td></tr>
                </table>
                <h2>{"Query language"}</h2>
                <p>{"Different keys combine with AND, the same key repeated with OR, -term negates. Quote values with spaces."}</p>
                <table>{for QUERY_HELP.iter().map(|(term, meaning)| html! { <tr><td class="mono">{*term}</td><td>{*meaning}</td></tr> })}</table>
            </div>
        </div>
    }
}
