//! Structure invariants read from the sources: the core's layers, file sizes, used dependencies.
//!
//! Textual checks, no compiler: quick enough to run first in `cargo xtask test`, and on their
//! own with `cargo xtask structure`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

/// The core's layers, lowest first: a module may use its own layer and the ones below, never
/// one above. One place for the table; ARCHITECTURE.md describes it. Tests (`#[cfg(test)] mod`)
/// may use any layer.
pub(crate) const CORE_LAYERS: &[(&str, &[&str])] = &[
    // Values every layer uses: time, event IDs, the event model, interning, the sample's bytes.
    ("base", &["heap", "i18n", "ids", "intern", "model", "sample", "time"]),
    // One record → an Event with its EICE facts and principal, or a parser row.
    ("record", &["record", "eice", "principal", "rows"]),
    // A file's bytes → a ParsedFile (shape, decompression, split, accounting of its records).
    ("ingest", &["ingest"]),
    // ParsedFiles → the dataset: dedupe, per-file accounting, the compact columns.
    ("store", &["store", "dataset"]),
    // Semantics across events: key-push / inventory pairing, tunnel rows, sessions, findings.
    ("semantics", &["pairing", "sessions", "findings"]),
    // What is shown: the query language, the views, the URL state, a load's prepared view.
    ("views", &["query", "views", "view_state"]),
    // Documents written from what is shown: CSV/JSON rows, raw records, stepwise exports.
    ("export", &["export"]),
];

/// Largest source file, in lines, before it should be split.
pub(crate) const MAX_FILE_LINES: usize = 800;

/// Makes the file-size check fail instead of warn (once every crate's files are split).
pub(crate) const FILE_SIZE_FAILS: bool = true;

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The text of a file without comments and without its test module (from `#[cfg(test)]` before
/// `mod …` to the end of the file: test modules come last), as (line number, line).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t == "#[cfg(test)]" && lines.get(n + 1).is_some_and(|l| l.trim_start().starts_with("mod ")) {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = line.find(" //").map_or(*line, |k| &line[..k]);
        out.push((n + 1, code.to_owned()));
    }
    out
}

/// The first path segments named after `prefix` (`crate::a::B` → `a`; `crate::{a, b::C}` → `a`, `b`).
fn segments_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find(prefix) {
        let before = rest[..k].chars().last();
        rest = &rest[k + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group.
            let (mut depth, mut item_start) = (0usize, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        out.push(ident(&group[i..]));
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

/// The crate root's re-exports: `pub use module::{Name, …}` → Name → module.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else { continue };
        let Some((module, names)) = path.split_once("::") else { continue };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.split("::").last().unwrap_or("").trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    map
}

/// Checks every `crate::` / `super::` path of the core's modules against [`CORE_LAYERS`].
pub(crate) fn check_layers(root: &Path) -> Result {
    let src = root.join("crates/tunnelscope-core/src");
    let layer_of: BTreeMap<&str, (usize, &str)> = CORE_LAYERS
        .iter()
        .enumerate()
        .flat_map(|(k, (name, modules))| modules.iter().map(move |m| (*m, (k, *name))))
        .collect();
    let reexports = root_reexports(&read(&src.join("lib.rs"))?);
    let mut broken = Vec::new();
    for path in rust_files(&src)? {
        let rel = path.strip_prefix(&src).map_err(|e| e.to_string())?;
        let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if parts == ["lib.rs"] {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs");
        let Some(&(mine, my_layer)) = layer_of.get(module) else {
            broken.push(format!("{}: module `{module}` is in no layer of xtask's CORE_LAYERS", rel.display()));
            continue;
        };
        // `super::` from this file: the crate root for a top-level module (`a.rs`, `a/mod.rs`),
        // else its parent, inside the same top-level module.
        let at_top = parts.len() == 1 || parts.last().is_some_and(|p| p == "mod.rs") && parts.len() == 2;
        for (n, code) in code_lines(&read(&path)?) {
            let mut used = segments_after(&code, "crate::");
            if at_top {
                used.extend(segments_after(&code, "super::"));
            }
            for seg in used {
                let target = reexports.get(&seg).map_or(seg.as_str(), String::as_str);
                if target == module || target.is_empty() || target == "super" || target == "self" {
                    continue;
                }
                match layer_of.get(target) {
                    Some(&(theirs, their_layer)) if theirs > mine => broken.push(format!(
                        "{}:{n}: `{module}` (layer {my_layer}) uses `{target}` (layer {their_layer}, above it): {}",
                        rel.display(),
                        code.trim()
                    )),
                    Some(_) => {}
                    None => {
                        broken.push(format!("{}:{n}: uses `{target}`, in no layer: {}", rel.display(), code.trim()))
                    }
                }
            }
        }
    }
    if broken.is_empty() {
        let names: Vec<&str> = CORE_LAYERS.iter().map(|(n, _)| *n).collect();
        eprintln!("the core's modules use only their own layer and those below ({})", names.join(" < "));
        Ok(())
    } else {
        Err(format!("invariant broken: a core module uses a layer above its own\n{}", broken.join("\n")))
    }
}

/// What the core must not name outside its tests: I/O, clocks, the environment, processes.
const IMPURE: &[&str] = &[
    "std::fs",
    "std::net::Tcp",
    "std::net::Udp",
    "std::time",
    "SystemTime",
    "Instant::now",
    "std::env",
    "std::process",
];

/// Fails when the core's sources (tests aside) name I/O, a clock, the environment or a process.
pub(crate) fn check_pure(root: &Path) -> Result {
    let src = root.join("crates/tunnelscope-core/src");
    let mut found = Vec::new();
    for path in rust_files(&src)? {
        let rel = path.strip_prefix(&src).unwrap_or(&path).display().to_string();
        for (n, code) in code_lines(&read(&path)?) {
            if let Some(what) = IMPURE.iter().find(|w| code.contains(*w)) {
                found.push(format!("{rel}:{n}: names {what}: {}", code.trim()));
            }
        }
    }
    if found.is_empty() {
        eprintln!("the core names no file, socket, clock, environment or process");
        Ok(())
    } else {
        Err(format!("invariant broken: the core does I/O or reads a clock\n{}", found.join("\n")))
    }
}

/// Files over [`MAX_FILE_LINES`] lines, or without a `//!` first line saying their job, in
/// every crate's `src`; warns (or fails, with [`FILE_SIZE_FAILS`]).
pub(crate) fn check_file_sizes(root: &Path) -> Result {
    let mut found = Vec::new();
    let crates = root.join("crates");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&crates)
        .map_err(|e| format!("{}: {e}", crates.display()))?
        .filter_map(|e| e.ok().map(|e| e.path().join("src")))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        for path in rust_files(&dir)? {
            let text = read(&path)?;
            let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            let n = text.lines().count();
            if n > MAX_FILE_LINES {
                found.push(format!("{rel}: {n} lines (more than {MAX_FILE_LINES})"));
            }
            if !text.starts_with("//!") {
                found.push(format!("{rel}: does not start with a `//!` line saying its job"));
            }
        }
    }
    if found.is_empty() {
        eprintln!("every source file has at most {MAX_FILE_LINES} lines and starts with `//!`");
        return Ok(());
    }
    let msg = format!("source files to split or document:\n{}", found.join("\n"));
    if FILE_SIZE_FAILS {
        Err(format!("invariant broken: {msg}"))
    } else {
        eprintln!("warning (not yet a failure; FILE_SIZE_FAILS in xtask/src/structure.rs): {msg}");
        Ok(())
    }
}

/// The dependency names of one `[…dependencies]`-like table of a Cargo.toml, by kind.
#[derive(Default)]
struct Declared {
    /// `[dependencies]` and `[target.….dependencies]`: used by the crate's own sources.
    normal: Vec<String>,
    /// `[dev-dependencies]` (any target): used by tests, benches or examples, or the sources.
    dev: Vec<String>,
}

fn declared(manifest: &str) -> Declared {
    let mut out = Declared::default();
    let mut section: Option<bool> = None; // Some(true): dev
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            let name = t.trim_matches(|c| c == '[' || c == ']');
            let last = name.rsplit('.').next().unwrap_or("");
            section = match last {
                "dependencies" if !name.starts_with("workspace") => Some(false),
                "dev-dependencies" => Some(true),
                _ => None,
            };
            continue;
        }
        let Some(dev) = section else { continue };
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((key, _)) = t.split_once('=') else { continue };
        let key = key.trim().trim_matches('"');
        // `foo.workspace = true` and `foo = …` alike.
        let name = key.split('.').next().unwrap_or(key).to_owned();
        if dev { out.dev.push(name) } else { out.normal.push(name) }
    }
    out
}

/// True when some `.rs` file under `dirs` names the crate (`foo_bar::`, `use foo_bar`, `foo_bar!`).
fn mentioned(dirs: &[PathBuf], krate: &str) -> Result<bool> {
    let ident = krate.replace('-', "_");
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for path in rust_files(dir)? {
            let text = read(&path)?;
            for (_, code) in code_lines_all(&text) {
                let hit = code.match_indices(&ident).any(|(k, _)| {
                    let before = code[..k].chars().last();
                    let after = &code[k + ident.len()..];
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                        && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
                });
                if hit {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// Every line but comments (tests included): a dependency may be used by the tests only.
fn code_lines_all(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l.to_owned()))
        .collect()
}

/// Dependencies a crate's sources must name to use: `[dependencies]` in `src`
/// (and `build.rs`), `[dev-dependencies]` in `tests`, `benches`, `examples` or `src`.
/// Ones used only through another crate's features or build scripts are listed with a reason.
const USED_WITHOUT_NAMING: &[(&str, &str, &str)] = &[
    // The serde derives' attribute `#[serde(with = "serde_bytes")]` names it in a string.
    ("tunnelscope-core", "serde_bytes", "named in #[serde(with = …)] attributes"),
];

/// Checks that every declared dependency of every workspace crate is used in its sources.
pub(crate) fn check_dependencies(root: &Path) -> Result {
    let mut manifests: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .map_err(|e| format!("crates: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    manifests.push(root.join("xtask"));
    manifests.sort();
    let mut unused = Vec::new();
    for dir in manifests {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = read(&manifest)?;
        let package = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = ").map(|n| n.trim_matches('"').to_owned()))
            .unwrap_or_default();
        let deps = declared(&text);
        let src = vec![dir.join("src"), dir.join("build.rs")];
        let dev_dirs = vec![dir.join("src"), dir.join("tests"), dir.join("benches"), dir.join("examples")];
        let excused = |name: &str| USED_WITHOUT_NAMING.iter().any(|(p, d, _)| *p == package && *d == name);
        for name in &deps.normal {
            if !excused(name) && !mentioned(&src, name)? && !text_names(&dir.join("src"), name)? {
                unused.push(format!("{package}: dependency `{name}` is not used in src/"));
            }
        }
        for name in &deps.dev {
            if !excused(name) && !mentioned(&dev_dirs, name)? {
                unused.push(format!("{package}: dev-dependency `{name}` is not used in tests, examples or src/"));
            }
        }
    }
    if unused.is_empty() {
        eprintln!("every declared dependency of every workspace crate is used by it");
        Ok(())
    } else {
        Err(format!("invariant broken: unused dependencies\n{}", unused.join("\n")))
    }
}

/// A crate named in a derive's string attribute (`with = "serde_bytes"`).
fn text_names(dir: &Path, krate: &str) -> Result<bool> {
    let quoted = format!("\"{}\"", krate.replace('-', "_"));
    for path in rust_files(dir)? {
        if read(&path)?.contains(&quoted) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_after_crate_are_read_with_groups() {
        assert_eq!(segments_after("use crate::{a::B, c, d::{E, F}};", "crate::"), ["a", "c", "d"]);
        assert_eq!(segments_after("let x = crate::views::f(super::y);", "crate::"), ["views"]);
        assert_eq!(segments_after("tunnelscope_core::x", "core::"), Vec::<String>::new());
    }

    #[test]
    fn dependency_tables_by_kind() {
        let d = declared(
            "[dependencies]\na = \"1\"\nb.workspace = true\n[target.'cfg(x)'.dev-dependencies]\nc = \"1\"\n[target.'cfg(y)'.dependencies]\nd = { version = \"1\" }\n[lints]\nworkspace = true\n",
        );
        assert_eq!((d.normal, d.dev), (vec!["a".to_owned(), "b".into(), "d".into()], vec!["c".to_owned()]));
    }
}
