//! A small static file server for dist/ on 127.0.0.1, optionally under a sub-path, so the
//! site can be tried and tested as any static host would serve it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// Serves `dir` at `http://127.0.0.1:{port}{prefix}` until killed.
pub(crate) fn serve(dir: &Path, port: u16, prefix: &str) -> Result<(), String> {
    if !dir.join("index.html").exists() {
        return Err(format!("{} has no index.html: run `cargo xtask build` first", dir.display()));
    }
    let prefix = format!("/{}/", prefix.trim_matches('/')).replace("//", "/");
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    eprintln!("serving {} at http://127.0.0.1:{port}{prefix}  (Ctrl-C stops)", dir.display());
    for stream in listener.incoming().flatten() {
        let dir = dir.to_path_buf();
        let prefix = prefix.clone();
        std::thread::spawn(move || {
            // A broken connection only affects that request.
            let _ = handle(stream, &dir, &prefix);
        });
    }
    Ok(())
}

fn handle(mut stream: TcpStream, dir: &Path, prefix: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the body of a GET is empty.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, 405, "text/plain", b"method not allowed", method == "HEAD");
    }
    if path.len() + 1 == prefix.len() && prefix.starts_with(path) {
        let location = format!("HTTP/1.1 301 Moved Permanently\r\nLocation: {prefix}\r\nContent-Length: 0\r\n\r\n");
        return stream.write_all(location.as_bytes());
    }
    let Some(rel) = path.strip_prefix(prefix) else {
        return respond(&mut stream, 404, "text/plain", b"not found", false);
    };
    match resolve(dir, rel) {
        Some(file) => match std::fs::read(&file) {
            Ok(body) => respond(&mut stream, 200, mime(&file), &body, method == "HEAD"),
            Err(_) => respond(&mut stream, 404, "text/plain", b"not found", false),
        },
        None => respond(&mut stream, 404, "text/plain", b"not found", false),
    }
}

/// Maps a URL path below the prefix to a file in `dir`, refusing `..` and absolute parts.
fn resolve(dir: &Path, rel: &str) -> Option<PathBuf> {
    let rel = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_owned() };
    let rel_path = Path::new(&rel);
    if rel_path.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = dir.join(rel_path);
    full.is_file().then_some(full)
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal() {
        let dir = std::env::temp_dir();
        assert!(resolve(&dir, "../etc/passwd").is_none());
        assert!(resolve(&dir, "/etc/passwd").is_none());
    }
}
