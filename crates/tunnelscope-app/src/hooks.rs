//! Hooks shared by components.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

fn inner_width() -> i32 {
    web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).unwrap_or(0.0) as i32
}

/// The window's inner width in CSS pixels, updated on resize, so canvases can redraw at their
/// new size.
#[hook]
pub fn use_window_width() -> i32 {
    let width = use_state(inner_width);
    {
        let width = width.clone();
        use_effect_with((), move |_| {
            let on_resize = Closure::<dyn FnMut()>::new(move || width.set(inner_width()));
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
                }
                drop(on_resize);
            }
        });
    }
    *width
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
