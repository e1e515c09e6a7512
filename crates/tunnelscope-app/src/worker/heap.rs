//! Exposes the worker's heap counts ([`tunnelscope_core::heap`]) to the benchmark:
//! `self.__tsHeap()` in the worker gives `[live, peak]` bytes (read by `tests/e2e/bench/bench.mjs`).

use tunnelscope_core::heap;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Sets `self.__tsHeap` in this worker: a function giving `[live, peak]` heap bytes.
pub fn expose() {
    let f = Closure::<dyn Fn() -> js_sys::Array>::new(|| {
        let n = |b: usize| wasm_bindgen::JsValue::from_f64(b as f64);
        js_sys::Array::of2(&n(heap::live()), &n(heap::peak()))
    });
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__tsHeap".into(), f.as_ref().unchecked_ref());
    // Lives as long as the worker.
    f.forget();
}
