//! Hooks shared by components.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn inner_width() -> i32 {
    web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).unwrap_or(0.0) as i32
}

/// The window's inner width in CSS pixels, updated on resize, so canvases can redraw at their
/// new size.
#[hook]
pub fn use_window_width() -> i32 {
    let width = use_state(inner_width);
    let on_resize = {
        let width = width.clone();
        Callback::from(move |_: web_sys::Event| width.set(inner_width()))
    };
    use_window_event("resize", on_resize);
    *width
}

/// Where a page-wide listener listens.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Window,
    Document,
}

fn listen<E: JsCast + 'static>(target: Target, event: &'static str, handler: Callback<E>) -> Option<EventListener> {
    let window = web_sys::window()?;
    let target: web_sys::EventTarget = match target {
        Target::Window => window.into(),
        Target::Document => window.document()?.into(),
    };
    // Not passive (gloo's default): the shortcuts call preventDefault.
    let options = EventListenerOptions::enable_prevent_default();
    Some(EventListener::new_with_options(&target, event, options, move |e| {
        handler.emit(e.clone().unchecked_into::<E>())
    }))
}

#[hook]
fn use_listener<E: JsCast + 'static>(target: Target, event: &'static str, handler: Callback<E>) {
    // Registered again when the handler changes (a new callback per render is fine: adding a
    // listener is cheap); removed when the listener is dropped.
    use_effect_with(handler, move |handler| {
        let listener = listen(target, event, handler.clone());
        move || drop(listener)
    });
}

/// Calls `handler` with every `event` of the window while the component is mounted.
#[hook]
pub fn use_window_event<E: JsCast + 'static>(event: &'static str, handler: Callback<E>) {
    use_listener(Target::Window, event, handler);
}

/// Calls `handler` with every `event` of the document while the component is mounted.
#[hook]
pub fn use_document_event<E: JsCast + 'static>(event: &'static str, handler: Callback<E>) {
    use_listener(Target::Document, event, handler);
}

/// Sets inline style properties of `node` through the CSSOM whenever they change. The page's
/// Content-Security-Policy (`style-src 'self'`) refuses `style=` attributes, which is how Yew
/// would write a `style` prop; `element.style.setProperty` is not covered by it.
#[hook]
pub fn use_css(node: NodeRef, props: Vec<(&'static str, String)>) {
    use_effect_with(props, move |props| {
        if let Some(el) = node.cast::<web_sys::HtmlElement>() {
            let style = el.style();
            for (name, value) in props {
                let _ = style.set_property(name, value);
            }
        }
    });
}
