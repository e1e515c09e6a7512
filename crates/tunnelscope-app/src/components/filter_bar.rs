//! FilterBar: the query box (applies on Enter) with its inline error.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`FilterBar`].
#[derive(Properties, PartialEq)]
pub struct FilterBarProps {
    /// The applied query.
    pub query: String,
    /// The query's error, if it did not parse.
    pub error: Option<String>,
    /// Called with the query text on Enter.
    pub on_query: Callback<String>,
}

/// The query box.
#[function_component(FilterBar)]
pub fn filter_bar(props: &FilterBarProps) -> Html {
    let on_key = {
        let on_query = props.on_query.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                    on_query.emit(input.value());
                }
            }
        })
    };
    html! {
        <div class="filter-bar">
            <input
                class="filter-bar__input"
                type="search"
                data-testid="filter-input"
                placeholder="Filter: user:alice port:3389 ip:203.0.113.0/24 outcome:failed -event:DescribeInstanceConnectEndpoints (Enter applies)"
                value={props.query.clone()}
                onkeydown={on_key}
                spellcheck="false"
            />
            if let Some(err) = &props.error {
                <div class="filter-bar__error" data-testid="filter-error" role="alert">{err.clone()}</div>
            }
        </div>
    }
}
