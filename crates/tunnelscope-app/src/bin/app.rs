//! The page's entry point.

fn main() {
    console_error_panic_hook::set_once();
    yew::Renderer::<tunnelscope_app::App>::new().render();
    register_service_worker();
}

/// Offline after the first visit: the service worker `cargo xtask build` writes beside
/// index.html caches the site's files (relative, so it works from a sub-path too). Skipped where
/// browsers have none (`file://`, an insecure origin); a failure only means no offline copy.
fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    if !window.is_secure_context() || window.location().protocol().is_ok_and(|p| p == "file:") {
        return;
    }
    let registering = window.navigator().service_worker().register("sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(registering).await;
    });
}
