//! Hooks shared by components: page-wide listeners, an element's width, inline styles.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// The client width (CSS pixels, without a scrollbar) of the element behind `node`, followed
/// with a `ResizeObserver` (the window's size is not enough: the detail panel, a scrollbar or
/// the page's layout change the width too); `None` before it is mounted.
#[hook]
pub fn use_element_width(node: NodeRef) -> Option<f64> {
    let width = use_state_eq(|| None::<u64>);
    {
        let width = width.clone();
        use_effect_with((), move |_| {
            let mut observing = None;
            if let Some(element) = node.cast::<web_sys::Element>() {
                let measure = |el: &web_sys::Element| Some(f64::from(el.client_width()).to_bits());
                width.set(measure(&element));
                let target = element.clone();
                let width = width.clone();
                let cb = Closure::<dyn FnMut(js_sys::Array, web_sys::ResizeObserver)>::new(
                    move |_: js_sys::Array, _: web_sys::ResizeObserver| width.set(measure(&target)),
                );
                if let Ok(observer) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
                    observer.observe(&element);
                    observing = Some((observer, cb));
                }
            }
            move || {
                if let Some((observer, cb)) = observing {
                    observer.disconnect();
                    drop(cb);
                }
            }
        });
    }
    (*width).map(f64::from_bits)
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
