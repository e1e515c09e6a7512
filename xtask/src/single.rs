//! `dist/tunnelscope.html`: the whole site as one self-contained file (scripts, styles, both
//! WebAssembly modules, the workers and, through the app, the sample), for a machine with no
//! network and no server: it works opened from `file://`. Written after the build, from `dist/`.
//!
//! - The app's JavaScript (wasm-bindgen's `web` target) runs as the one inline module script,
//!   allowed by its hash, as the site's bootstrap is; its only `export` line is dropped.
//! - Both modules and the worker's script travel base64-encoded in data blocks (`<script
//!   type="application/octet-stream">`, never run). The worker starts from a `blob:` URL made
//!   from its glue and its module (the app reads `window.tunnelscopeWorkerUrl`).
//! - The Content-Security-Policy allows nothing by origin: the script and the style by hash,
//!   WebAssembly (`wasm-unsafe-eval`), workers from `blob:`, images from `data:`/`blob:` (the
//!   exports' download links), and no connection at all.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

/// The single file's name, and the name of its SHA-256 beside it (`sha256sum -c` reads it).
pub(crate) const SINGLE: &str = "tunnelscope.html";
pub(crate) const SINGLE_SHA: &str = "tunnelscope.html.sha256";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hash(text: &str) -> String {
    b64(&Sha256::digest(text.as_bytes()))
}

/// The one file of `dist` whose name starts with `prefix` and ends with `suffix`.
fn find(dist: &Path, prefix: &str, suffix: &str) -> Result<Vec<u8>, String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(suffix) {
            found.push(e.path());
        }
    }
    match found.as_slice() {
        [one] => std::fs::read(one).map_err(|e| format!("{}: {e}", one.display())),
        _ => Err(format!("dist/ should hold one {prefix}*{suffix}, it holds {}", found.len())),
    }
}

/// Writes `dist/tunnelscope.html` and its SHA-256 from the built site in `dist`.
pub(crate) fn write(dist: &Path) -> Result<(), String> {
    let text = |b: Vec<u8>, what: &str| String::from_utf8(b).map_err(|_| format!("{what} is not UTF-8"));
    let index = text(std::fs::read(dist.join("index.html")).map_err(|e| format!("index.html: {e}"))?, "index.html")?;
    let css = text(find(dist, "app-", ".css")?, "the stylesheet")?;
    let app_js = text(find(dist, "app-", ".js")?, "the app's script")?;
    let app_wasm = find(dist, "app-", "_bg.wasm")?;
    let worker_js = std::fs::read(dist.join("worker.js")).map_err(|e| format!("worker.js: {e}"))?;
    let worker_js = text(worker_js, "the worker's script")?;
    let worker_wasm = find(dist, "worker_bg", ".wasm")?;

    // wasm-bindgen's `web` target ends with one export statement; anything else is a change to
    // look at, not to guess through.
    let export = "export { initSync, __wbg_init as default };";
    if app_js.matches("export ").count() != 1 || !app_js.contains(export) {
        return Err(format!("the app's script does not end with `{export}` alone: update xtask/src/single.rs"));
    }
    let app_js = app_js.replace(export, "");
    let boot = format!(
        "{app_js}
const bytes = (id) => Uint8Array.from(atob(document.getElementById(id).textContent), (c) => c.charCodeAt(0));
// One script for every worker: its glue, then its start from the module's bytes.
const workerSource = new TextDecoder().decode(bytes('tunnelscope-worker-js')) +
  `\\nwasm_bindgen({{ module_or_path: Uint8Array.from(atob(${{JSON.stringify(document.getElementById('tunnelscope-worker-wasm').textContent)}}), (c) => c.charCodeAt(0)) }});`;
window.tunnelscopeWorkerUrl = URL.createObjectURL(new Blob([workerSource], {{ type: 'text/javascript' }}));
await __wbg_init({{ module_or_path: bytes('tunnelscope-app-wasm') }});
"
    );
    if boot.contains("</script") || css.contains("</style") {
        return Err("the inline script or style would end its own element early".into());
    }
    let policy = format!(
        "default-src 'none'; script-src 'wasm-unsafe-eval' 'sha256-{}'; style-src 'sha256-{}'; img-src data: blob:; \
         worker-src blob:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'",
        hash(&boot),
        hash(&css)
    );
    let title = between(&index, "<title>", "</title>").unwrap_or("tunnelscope");
    let icon = index
        .split("<link rel=\"icon\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .map(|attrs| format!("<link rel=\"icon\"{}>", attrs))
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n{icon}\n<style>{css}</style>\n\
         <script type=\"application/octet-stream\" id=\"tunnelscope-app-wasm\">{}</script>\n\
         <script type=\"application/octet-stream\" id=\"tunnelscope-worker-wasm\">{}</script>\n\
         <script type=\"application/octet-stream\" id=\"tunnelscope-worker-js\">{}</script>\n\
         <script type=\"module\">{boot}</script>\n</head>\n<body></body>\n</html>\n",
        b64(&app_wasm),
        b64(&worker_wasm),
        b64(worker_js.as_bytes()),
    );
    std::fs::write(dist.join(SINGLE), &html).map_err(|e| format!("{SINGLE}: {e}"))?;
    let digest: String = Sha256::digest(html.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dist.join(SINGLE_SHA), format!("{digest}  {SINGLE}\n")).map_err(|e| format!("{SINGLE_SHA}: {e}"))?;
    eprintln!("{SINGLE}: {} bytes, SHA-256 {digest}", html.len());
    Ok(())
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}
