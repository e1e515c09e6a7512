//! Pager: previous/next over a window of rows.

use yew::prelude::*;

use crate::page::i18n::use_texts;

use crate::protocol::WINDOW_ROWS;

/// Props of [`Pager`].
#[derive(Properties, PartialEq)]
pub struct PagerProps {
    /// Rows in all.
    pub total: usize,
    /// Window start.
    pub offset: usize,
    /// Rows shown.
    pub shown: usize,
    /// Called with a new offset.
    pub on_page: Callback<usize>,
    /// Rows per window.
    #[prop_or(WINDOW_ROWS)]
    pub page_size: usize,
}

/// The pager; hidden when everything fits in one window.
#[function_component(Pager)]
pub fn pager(props: &PagerProps) -> Html {
    let size = props.page_size.max(1);
    let t = use_texts();
    if props.total <= size && props.offset == 0 {
        return html! {};
    }
    let prev = props.offset.saturating_sub(size);
    let next = props.offset + size;
    let on_prev = props.on_page.reform(move |_: MouseEvent| prev);
    let on_next = props.on_page.reform(move |_: MouseEvent| next);
    html! {
        <div class="pager">
            <button disabled={props.offset == 0} onclick={on_prev}>{t.previous}</button>
            <span>{(t.rows_of)(props.offset + 1, props.offset + props.shown, props.total)}</span>
            <button disabled={next >= props.total} onclick={on_next}>{t.next}</button>
        </div>
    }
}
