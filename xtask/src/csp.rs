//! Adds a Content-Security-Policy `<meta>` to the built index.html: static hosts cannot set
//! headers, and Trunk's bootstrap is an inline module script, so it is allowed by its hash.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Inserts (or replaces) the CSP meta tag in `index`, hashing every inline script.
pub(crate) fn apply(index: &Path) -> Result<(), String> {
    let html = std::fs::read_to_string(index).map_err(|e| format!("{}: {e}", index.display()))?;
    let hashes = inline_script_hashes(&html);
    let script_src: String = hashes.iter().map(|h| format!(" 'sha256-{h}'")).collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{script_src}; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'"
    );
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">");
    let without_old = remove_existing(&html);
    let out = match without_old.find("<meta charset=\"utf-8\"") {
        Some(i) => {
            let end = without_old[i..].find('>').map_or(i, |j| i + j + 1);
            format!("{}{meta}{}", &without_old[..end], &without_old[end..])
        }
        None => without_old.replacen("<head>", &format!("<head>{meta}"), 1),
    };
    std::fs::write(index, out).map_err(|e| format!("{}: {e}", index.display()))?;
    eprintln!("CSP added with {} inline script hash(es)", hashes.len());
    Ok(())
}

fn remove_existing(html: &str) -> String {
    let marker = "<meta http-equiv=\"Content-Security-Policy\"";
    match html.find(marker) {
        Some(i) => {
            let end = html[i..].find('>').map_or(html.len(), |j| i + j + 1);
            format!("{}{}", &html[..i], &html[end..])
        }
        None => html.to_owned(),
    }
}

/// SHA-256 (base64) of the text of every `<script>` without a `src`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else { break };
        let body = &after[body_start..body_start + close];
        if !tag.contains(" src=") && !body.is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            out.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &after[body_start + close..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<script src="a.js"></script><script type="module">init()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        assert_eq!(hashes[0], base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()")));
    }
}
