//! Project automation: `cargo xtask setup|build|serve|test|structure|serve-dist|bench|fuzz`.
//!
//! Every command installs what it needs first (idempotent, fast when already installed), so
//! a fresh machine with rustup's Rust, Node, npm and Python needs nothing else.

mod bench;
mod csp;
mod fuzz;
mod r#gen;
mod offline;
mod serve;
mod single;
mod structure;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const TRUNK_VERSION: &str = "0.21.14";
const E2E_DIR: &str = "tests/e2e";
/// binaryen from npm: Debian's wasm-opt (108) cannot read current rustc output.
const BINARYEN_VERSION: &str = "132.0.0";
/// Where xtask installs npm-provided build tools (git-ignored).
const TOOLS_DIR: &str = ".tools";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup_build_tools(),
        Some("build") => setup_build_tools().and_then(|_| build()),
        Some("serve") => setup_build_tools().and_then(|_| build()).and_then(|_| serve_dist(&args[1..], 8080)),
        Some("serve-dist") => serve_dist(&args[1..], 8080),
        Some("test") => test(),
        Some("structure") => match flag_value(&args[1..], "--root") {
            // Another checkout's layers (to see the check on an older tree).
            Some(dir) => structure::check_layers(Path::new(dir)),
            None => structure(),
        },
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        _ => Err("usage: cargo xtask <setup|build|serve|test|structure|serve-dist|bench|fuzz> [--port N] [--prefix /sub/path/] \
             [fuzz: --time SECS | --runs N] [--jobs N]"
            .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo_bin() -> PathBuf {
    env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| home().join(".cargo")).join("bin")
}

fn home() -> PathBuf {
    env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// PATH with the project's npm tools and ~/.cargo/bin first, so installed tools are found.
fn path_env() -> String {
    let old = env::var("PATH").unwrap_or_default();
    let npm_bin = root().join(TOOLS_DIR).join("node_modules").join(".bin");
    format!("{}:{}:{old}", npm_bin.display(), cargo_bin().display())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn run(program: &str, args: &[&str]) -> Result {
    run_in(&root(), program, args, &[])
}

fn run_in(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path_env())
        .envs(envs.iter().copied())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{program} {}` failed ({status})", args.join(" "))) }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).env("PATH", path_env()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The `wasm-bindgen` version pinned in Cargo.lock (the CLI must match it exactly).
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

/// Installs the wasm target, Trunk and the matching wasm-bindgen CLI when missing.
fn setup_build_tools() -> Result {
    step("build tools");
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    if output("trunk", &["--version"]).as_deref() != Some(&format!("trunk {TRUNK_VERSION}")) {
        // Trunk 0.22 needs a newer rustc than these machines have; pin it.
        run("cargo", &["install", "trunk", "--version", &format!("={TRUNK_VERSION}"), "--locked"])?;
    }
    let wb = locked_wasm_bindgen_version()?;
    let want = format!("wasm-bindgen {wb}");
    let have = output("wasm-bindgen", &["--version"]);
    let have_runner = output("wasm-bindgen-test-runner", &["--version"]);
    if have.as_deref() != Some(&want) || have_runner.is_none_or(|r| !r.ends_with(&wb)) {
        // Not --locked: one locked dependency of the CLI is missing from the registry.
        run("cargo", &["install", "wasm-bindgen-cli", "--version", &format!("={wb}"), "--force"])?;
    }
    let wasm_opt = root().join(TOOLS_DIR).join("node_modules").join(".bin").join("wasm-opt");
    let major = BINARYEN_VERSION.split('.').next().unwrap_or("");
    let have_opt = output(&wasm_opt.to_string_lossy(), &["--version"]).unwrap_or_default();
    if !have_opt.contains(&format!("version {major}")) {
        let tools = root().join(TOOLS_DIR);
        std::fs::create_dir_all(&tools).map_err(|e| format!("{}: {e}", tools.display()))?;
        let pkg = format!("binaryen@{BINARYEN_VERSION}");
        run_in(&tools, "npm", &["install", "--prefix", ".", "--no-audit", "--no-fund", "--no-save", &pkg], &[])?;
    }
    eprintln!("wasm32 target, trunk {TRUNK_VERSION}, wasm-bindgen {wb}, wasm-opt {major}: ready");
    Ok(())
}

/// Builds the release site into dist/ and adds the Content-Security-Policy.
fn build() -> Result {
    step("trunk build --release");
    // Trunk runs cargo offline; fetch first so a changed lock file still builds.
    run("cargo", &["fetch", "--locked"])?;
    run("trunk", &["build", "--release"])?;
    csp::apply(&root().join("dist").join("index.html"))?;
    // The service worker first: it lists the site's files, not the single file made of them.
    offline::write_service_worker(&root().join("dist"))?;
    single::write(&root().join("dist"))?;
    report_bundle_size(&root().join("dist"));
    Ok(())
}

/// What the first view may download, gzipped (issue 23): the page, its style, its script and
/// its module. The engine (the workers' script and module) is fetched on the first load.
const FIRST_VIEW_BUDGET: u64 = 500_000;

/// Prints each file of `dist` raw and gzipped (level 9, as a static host would serve it), what
/// the first view needs against [`FIRST_VIEW_BUDGET`], and the engine fetched later.
fn report_bundle_size(dist: &Path) {
    let Ok(entries) = std::fs::read_dir(dist) else { return };
    let mut files: Vec<(String, u64, u64)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).ok()?;
            Some((name, bytes.len() as u64, gzipped_len(&bytes)))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    // index.html and what it loads (Trunk names them app-HASH.css, .js, _bg.wasm).
    let first_view = |name: &str| name == "index.html" || name.starts_with("app-");
    let engine = |name: &str| name.starts_with("worker");
    eprintln!("bundle (bytes):      raw   gzipped  file");
    for (name, raw, gz) in &files {
        let part = if first_view(name) {
            "first view"
        } else if engine(name) {
            "engine, on the first load"
        } else if name == offline::SW {
            "service worker"
        } else {
            "single file, not part of the site"
        };
        eprintln!("  {raw:>14} {gz:>9}  {name}  ({part})");
    }
    let sum = |keep: &dyn Fn(&str) -> bool| -> (u64, u64) {
        files.iter().filter(|f| keep(&f.0)).fold((0, 0), |(r, g), f| (r + f.1, g + f.2))
    };
    let (first_raw, first_gz) = sum(&first_view);
    let (engine_raw, engine_gz) = sum(&engine);
    let verdict = if first_gz <= FIRST_VIEW_BUDGET { "within" } else { "OVER" };
    eprintln!(
        "  first view: {first_raw} raw, {first_gz} gzipped ({:.1} KB), {verdict} the {} KB budget",
        first_gz as f64 / 1000.0,
        FIRST_VIEW_BUDGET / 1000
    );
    eprintln!("  engine (first load): {engine_raw} raw, {engine_gz} gzipped ({:.1} KB)", engine_gz as f64 / 1000.0);
    eprintln!("  site in all: {} gzipped", first_gz + engine_gz);
}

/// The size of `bytes` gzipped at level 9.
fn gzipped_len(bytes: &[u8]) -> u64 {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    if gz.write_all(bytes).is_err() {
        return 0;
    }
    gz.finish().map_or(0, |v| v.len() as u64)
}

fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn serve_dist(args: &[String], default_port: u16) -> Result {
    let port = flag_value(args, "--port").and_then(|p| p.parse().ok()).unwrap_or(default_port);
    let prefix = flag_value(args, "--prefix").unwrap_or("/");
    let dir = flag_value(args, "--dir").map(PathBuf::from).unwrap_or_else(|| root().join("dist"));
    serve::serve(&dir, port, prefix)
}

/// Installs what the tests need (Chromium and chromedriver from Debian, npm packages).
fn setup_test_tools() -> Result {
    step("test tools");
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        run("apt-get", &["update", "-qq"])?;
        run("apt-get", &["install", "-y", "-qq", "chromium", "chromium-driver"])?;
    }
    let e2e = root().join(E2E_DIR);
    if !e2e.join("node_modules").join("playwright-core").exists() {
        run_in(&e2e, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    Ok(())
}

/// The whole suite, as CI runs it.
/// The structure invariants (no compiler needed): the core's layers and purity, used dependencies, and
/// (a warning for now) file sizes and `//!` first lines.
fn structure() -> Result {
    step("invariant: the core's modules use only their own layer and those below");
    structure::check_layers(&root())?;
    step("invariant: the core does no I/O and reads no clock");
    structure::check_pure(&root())?;
    step("invariant: every declared dependency is used");
    structure::check_dependencies(&root())?;
    step("source files: at most 800 lines, each starting with a `//!` line");
    structure::check_file_sizes(&root())
}

fn test() -> Result {
    structure()?;
    setup_build_tools()?;
    setup_test_tools()?;
    step("cargo fmt --check");
    run("cargo", &["fmt", "--all", "--check"])?;
    step("clippy (native)");
    run("cargo", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    step("clippy (wasm32)");
    run(
        "cargo",
        &[
            "clippy",
            "-p",
            "tunnelscope-app",
            "-p",
            "tunnelscope-core",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    step("invariant: the core builds for wasm32 and depends on no web crate");
    run("cargo", &["check", "-p", "tunnelscope-core", "--target", "wasm32-unknown-unknown", "--locked"])?;
    for web in ["wasm-bindgen", "js-sys", "web-sys", "gloo", "yew"] {
        let found = Command::new("cargo")
            .args(["tree", "-p", "tunnelscope-core", "-e", "normal", "--target", "all", "-i", web])
            .current_dir(root())
            .env("PATH", path_env())
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
        if found.status.success() && !found.stdout.is_empty() {
            return Err(format!("invariant broken: tunnelscope-core depends on {web}"));
        }
    }
    eprintln!("tunnelscope-core depends on none of wasm-bindgen, js-sys, web-sys, gloo, yew");
    step("invariant: no style attribute in the app's markup (the CSP refuses them)");
    inline_styles(&root().join("crates").join("tunnelscope-app").join("src"))?;
    step("native tests");
    run("cargo", &["test", "--workspace", "--locked"])?;
    // A short run of the coverage-guided ingest fuzzer (the long one: `cargo xtask fuzz`).
    fuzz::run(&["--time".to_owned(), "45".to_owned()])?;
    step("browser tests (wasm-bindgen-test in headless Chromium)");
    run_in(
        &root(),
        "cargo",
        &["test", "-p", "tunnelscope-app", "--target", "wasm32-unknown-unknown", "--tests", "--locked"],
        &[("CHROMEDRIVER", "/usr/bin/chromedriver")],
    )?;
    build()?;
    step("end-to-end tests (Playwright, headless Chromium)");
    run_in(&root().join(E2E_DIR), "npx", &["playwright", "test"], &[])?;
    Ok(())
}

/// Fails on a `style=` attribute in the app's `html!` markup: the page's CSP (`style-src 'self'`)
/// refuses them, which once left the event table without visible rows while every test passed.
/// Styles go in classes, or through the CSSOM (`hooks::use_css`).
fn inline_styles(dir: &Path) -> Result {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                for (n, line) in text.lines().enumerate() {
                    if line.contains(" style={") || line.contains(" style=\"") {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    if found.is_empty() {
        eprintln!("no style= attribute in the app");
        Ok(())
    } else {
        Err(format!("invariant broken: style attributes, refused by the CSP:\n{}", found.join("\n")))
    }
}
