//! Counts the worker's heap, for the benchmark: wasm linear memory only ever grows, so its size
//! says how high the heap once went plus whatever fragmentation added, not what is live. The
//! worker binary installs [`Counting`] as its allocator; `self.__tsHeap()` in the worker gives
//! `[live, peak]` bytes (read by `tests/e2e/bench/bench.mjs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live and peak bytes.
pub struct Counting;

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: defers every call to the system allocator with the same arguments; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller promised for `ptr`, `layout` and `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

/// Sets `self.__tsHeap` in this worker: a function giving `[live, peak]` heap bytes.
pub fn expose() {
    let f = Closure::<dyn Fn() -> js_sys::Array>::new(|| {
        let n = |a: &AtomicUsize| wasm_bindgen::JsValue::from_f64(a.load(Ordering::Relaxed) as f64);
        js_sys::Array::of2(&n(&LIVE), &n(&PEAK))
    });
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__tsHeap".into(), f.as_ref().unchecked_ref());
    // Lives as long as the worker.
    f.forget();
}
