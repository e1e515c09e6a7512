//! The site's service worker (`dist/sw.js`), written after the build: it caches the site's own
//! files when first installed and serves them from that cache, so a later visit opens with the
//! network gone.
//!
//! Its file list and version are fixed at build time (the files' names and a hash of their
//! bytes): a new build is a new worker, which the browser installs beside the running one and
//! switches to on the next visit, never in the middle of one: no `skipWaiting` (a waiting
//! worker takes over only once no page of the old one is open) and no `clients.claim` (a page
//! keeps, for its whole life, the files it started with; the first visit's page stays
//! uncontrolled and fetches the engine from the network, which the second visit need not).
//! The worker and its module keep fixed names (`worker.js`, `worker_bg.wasm`), so an update
//! served halfway would pair one build's page with another's engine: that is what waiting
//! prevents. Installing fetches those fixed-name files with `cache: 'reload'`, past the HTTP
//! cache, so a version never stores a stale copy of another's; files named by their hash may
//! come from the HTTP cache (the first view has just fetched them).
//! It answers only GET requests, of the page's own origin and scope, for those files; logs
//! never reach it (the page reads dropped files from their `File` objects, never by URL), so
//! nothing it caches can hold log data.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The service worker's file name, beside index.html.
pub(crate) const SW: &str = "sw.js";

/// Writes `dist/sw.js` for the files now in `dist` (all of them but itself).
pub(crate) fn write_service_worker(dist: &Path) -> Result<(), String> {
    let mut files: Vec<String> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // Not itself, nor the single-file copy of the site (made of these same files).
        .filter(|name| name != SW && !name.starts_with(crate::single::SINGLE))
        .collect();
    files.sort();
    let mut hash = Sha256::new();
    for name in &files {
        let bytes = std::fs::read(dist.join(name)).map_err(|e| format!("{name}: {e}"))?;
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let version: String = hash.finalize()[..8].iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    // `./` is the site's address itself (the navigation a visit starts with).
    let list: Vec<String> = std::iter::once("./".to_owned()).chain(files).map(|f| format!("{f:?}")).collect();
    let text = SOURCE.replace("__VERSION__", &version).replace("__FILES__", &list.join(", "));
    std::fs::write(dist.join(SW), text).map_err(|e| format!("{SW}: {e}"))?;
    eprintln!("service worker {SW}: {} files, version {version}", list.len());
    Ok(())
}

const SOURCE: &str = r#"// tunnelscope's service worker, written by `cargo xtask build`: the site's own files, cached
// when it installs and served from that cache, so a later visit opens with the network gone.
// A new build is a new worker; the browser switches to it on the next visit. It answers only
// GET requests for the files below: dropped logs are read from File objects, never fetched.
const CACHE = 'tunnelscope-__VERSION__';
const FILES = [__FILES__];

self.addEventListener('install', (event) => {
  // A file named by its hash (Trunk's app-HASH.*) is the same bytes wherever it comes from,
  // so the HTTP cache may answer (the first view just fetched it); a fixed-name one (the page,
  // the worker's files) must be this build's: past the HTTP cache. One file missing fails the
  // install, and the previous version (if any) goes on serving.
  const hashed = /-[0-9a-f]{16}[._]/;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(FILES.map((f) => new Request(f, { cache: hashed.test(f) ? 'default' : 'reload' }))),
    ),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k.startsWith('tunnelscope-') && k !== CACHE).map((k) => caches.delete(k))),
    ),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const name = url.pathname.slice(scope.pathname.length) || './';
  if (!FILES.includes(name)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(request, { ignoreSearch: true }).then((hit) => hit || fetch(request)),
    ),
  );
});
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_file_and_changes_version_with_the_bytes() {
        let dir = std::env::temp_dir().join(format!("tunnelscope-sw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("index.html"), "<html>").expect("write");
        std::fs::write(dir.join("app.wasm"), "a").expect("write");
        write_service_worker(&dir).expect("sw");
        let first = std::fs::read_to_string(dir.join(SW)).expect("read");
        assert!(first.contains(r#"const FILES = ["./", "app.wasm", "index.html"];"#), "{first}");
        write_service_worker(&dir).expect("sw again");
        assert_eq!(std::fs::read_to_string(dir.join(SW)).expect("read"), first, "itself is not listed");
        std::fs::write(dir.join("app.wasm"), "b").expect("write");
        write_service_worker(&dir).expect("sw");
        assert_ne!(std::fs::read_to_string(dir.join(SW)).expect("read"), first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
