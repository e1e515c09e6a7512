//! `cargo xtask bench [--mb 200] [--files 2000] [--events 2000000]`: the reproducible benchmark of issue 5.
//!
//! Builds the release site and the CLI, generates synthetic CloudTrail exports (see `gen.rs`) into
//! `target/bench-data/<sizes>/` (reused when present), serves `dist/` on a free port, runs
//! `tests/e2e/bench/bench.mjs` in Debian's headless Chromium, measures the native CLI and the
//! serde_json typed-parse ceiling, and prints a Markdown table that is also written to
//! `docs/performance.md` (`--out` to change, `--no-write` to skip). Numbers are measured, never asserted.
//!
//! Options: `--mb N` `--files N` `--events N` `--seed N` `--refilter-events N` (default
//! min(1,000,000, events)), `--runs N` (CLI and ceiling repetitions, median; default 5),
//! `--no-build` (use the existing `dist/` and CLI), `--load-timeout-secs N` (default 1800),
//! `--gen-only` (write the data and print its folder).
//! Internal: `bench --ceiling [--threads N] PATH...` prints the typed-parse time as JSON.
//!
//! The bench itself runs as a release binary (the generator, gzip and the ceiling are CPU-bound):
//! a debug `cargo xtask bench` re-runs itself with `cargo run --release`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::r#gen::{self, Data, Set, Spec};
use crate::{Result, flag_value, root, step};

const BENCH_SCRIPT: &str = "tests/e2e/bench/bench.mjs";
const CHROMIUM: &str = "/usr/bin/chromium";
/// `JSON.parse` repetitions in the page (median reported).
const PARSE_RUNS: usize = 5;
/// Queries for the re-filter measurement: each changes the number of matching events.
const QUERIES: [&str; 5] = ["event:OpenTunnel", "outcome:failed", "user:alice", "region:eu-west-1", ""];

fn num(args: &[String], name: &str, default: u64) -> Result<u64> {
    match flag_value(args, name) {
        None => Ok(default),
        Some(v) => v.replace('_', "").parse().map_err(|_| format!("{name}: not a number: {v}")),
    }
}

pub(crate) fn run(args: &[String]) -> Result {
    if args.first().map(String::as_str) == Some("--ceiling") {
        return ceiling_command(&args[1..]);
    }
    if cfg!(debug_assertions) {
        // Re-run as a release binary: generating and gzipping hundreds of MB and the serde ceiling
        // would otherwise measure the debug build.
        step("building xtask in release mode for the bench");
        let status = Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "xtask", "--", "bench"])
            .args(args)
            .current_dir(root())
            .status()
            .map_err(|e| format!("cargo run: {e}"))?;
        return if status.success() { Ok(()) } else { Err(format!("bench failed ({status})")) };
    }
    let spec = Spec {
        seed: num(args, "--seed", 1)?,
        mb: num(args, "--mb", 200)?,
        files: num(args, "--files", 2000)?,
        events: num(args, "--events", 2_000_000)?,
    };
    if spec.mb == 0 || spec.files == 0 || spec.events == 0 {
        return Err("--mb, --files and --events must be positive".into());
    }
    let refilter_events = num(args, "--refilter-events", spec.events.min(1_000_000))?.min(spec.events);
    let runs = num(args, "--runs", 5)?.max(1) as usize;
    let load_timeout = num(args, "--load-timeout-secs", 1800)?;
    let out = flag_value(args, "--out").map(PathBuf::from).unwrap_or_else(|| root().join("docs/performance.md"));
    let started = Instant::now();

    if args.iter().any(|a| a == "--gen-only") {
        // Only the data, e.g. for the native memory example (`examples/memory.rs`).
        let data_dir = root().join("target/bench-data").join(spec.dir_name());
        r#gen::generate(&data_dir, spec)?;
        println!("{}", data_dir.display());
        return Ok(());
    }
    if !args.iter().any(|a| a == "--no-build") {
        crate::setup_build_tools()?;
        crate::build()?;
        step("cargo build --release -p tunnelscope-cli");
        crate::run("cargo", &["build", "--release", "-p", "tunnelscope-cli"])?;
    }
    crate::setup_test_tools()?;
    let cli = root().join("target/release/tunnelscope");
    if !cli.exists() {
        return Err(format!("{} is missing: run without --no-build", cli.display()));
    }

    step("bench data");
    let data_dir = root().join("target/bench-data").join(spec.dir_name());
    let t = Instant::now();
    let data = r#gen::generate(&data_dir, spec)?;
    eprintln!("bench data ready in {:.1} s: {}", t.elapsed().as_secs_f64(), data_dir.display());
    let refilter_files = refilter_events.div_ceil(r#gen::EVENTS_PER_FILE) as usize;
    let refilter = Set {
        paths: data.events.paths[..refilter_files.min(data.events.paths.len())].to_vec(),
        records: refilter_events.min(refilter_files as u64 * r#gen::EVENTS_PER_FILE).min(spec.events),
        ..Set::default()
    };

    step("native CLI and serde_json ceiling");
    let native = native(&cli, &data, runs)?;

    step("headless Chromium");
    let port = free_port()?;
    let dist = root().join("dist");
    if !dist.join("index.html").exists() {
        return Err("dist/ has no index.html: run without --no-build".into());
    }
    std::thread::spawn(move || {
        if let Err(e) = crate::serve::serve(&dist, port, "/") {
            eprintln!("bench: server: {e}");
        }
    });
    let config_path = data_dir.join("browser-config.json");
    let result_path = data_dir.join("browser-result.json");
    let _ = std::fs::remove_file(&result_path);
    let set_json = |s: &Set| {
        serde_json::json!({
            "paths": s.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "records": s.records,
        })
    };
    let config = serde_json::json!({
        "url": format!("http://127.0.0.1:{port}/"),
        "chromium": CHROMIUM,
        "loadTimeoutMs": load_timeout * 1000,
        "parseRuns": PARSE_RUNS,
        "queries": QUERIES,
        "sets": {
            "big_json": set_json(&data.big_json),
            "big_gz": set_json(&data.big_gz),
            "tree": set_json(&data.tree),
            "events": set_json(&data.events),
        },
        "refilter": set_json(&refilter),
    });
    std::fs::write(&config_path, config.to_string()).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let e2e = root().join(crate::E2E_DIR);
    let script = root().join(BENCH_SCRIPT);
    let status = Command::new("node")
        .arg(&script)
        .arg(&config_path)
        .arg(&result_path)
        .current_dir(&e2e)
        .env("PATH", crate::path_env())
        .status()
        .map_err(|e| format!("node: {e}"))?;
    if !status.success() {
        return Err(format!("{BENCH_SCRIPT} failed ({status})"));
    }
    let browser: Value = std::fs::read_to_string(&result_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| format!("{} is missing or unreadable", result_path.display()))?;

    let machine = machine(&browser);
    let table = report(spec, refilter.records, &data, &browser, &native, &machine, started.elapsed().as_secs());
    println!("{table}");
    if !args.iter().any(|a| a == "--no-write") {
        std::fs::write(&out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("bench: wrote {}", out.display());
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

// ---- native ------------------------------------------------------------------------------

/// Median seconds and the parsed output of `tunnelscope stats --json`, pinned to one core or not.
struct CliRun {
    secs: f64,
    loaded: Option<u64>,
}

struct Native {
    /// Per set: (CLI one core, CLI all cores, ceiling one core, ceiling all cores).
    rows: Vec<(&'static str, CliRun, CliRun, f64, f64)>,
}

fn cli_once(cli: &Path, paths: &[PathBuf], one_core: bool) -> Result<(f64, Value)> {
    let mut cmd = if one_core {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(cli);
        c
    } else {
        Command::new(cli)
    };
    cmd.args(["stats", "--json"]).args(paths);
    let t = Instant::now();
    let out = cmd.output().map_err(|e| format!("{}: {e}", cli.display()))?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!("tunnelscope stats failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let v = serde_json::from_slice(&out.stdout).map_err(|e| format!("tunnelscope stats --json: {e}"))?;
    Ok((secs, v))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median one-core and all-core runs, taken in alternating pairs after one unmeasured run (the
/// files' pages then cached): on a shared machine a busy spell then hits both sides alike, not
/// the several all-core runs that happened to follow one another.
fn cli_medians(cli: &Path, paths: &[PathBuf], runs: usize) -> Result<(CliRun, CliRun)> {
    cli_once(cli, paths, false)?;
    let (mut one, mut all) = (Vec::new(), Vec::new());
    let mut loaded = (None, None);
    for _ in 0..runs {
        let (secs, v) = cli_once(cli, paths, true)?;
        one.push(secs);
        loaded.0 = v["records"]["loaded"].as_u64();
        let (secs, v) = cli_once(cli, paths, false)?;
        all.push(secs);
        loaded.1 = v["records"]["loaded"].as_u64();
    }
    Ok((CliRun { secs: median(one), loaded: loaded.0 }, CliRun { secs: median(all), loaded: loaded.1 }))
}

fn ceiling_median(paths: &[PathBuf], one_core: bool, runs: usize) -> Result<f64> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut cmd = if one_core {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(["bench", "--ceiling", "--threads", if one_core { "1" } else { "0" }]).args(paths);
        let out = cmd.output().map_err(|e| format!("ceiling: {e}"))?;
        if !out.status.success() {
            return Err(format!("ceiling failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("ceiling output: {e}"))?;
        times.push(v["secs"].as_f64().unwrap_or(f64::NAN));
    }
    Ok(median(times))
}

fn native(cli: &Path, data: &Data, runs: usize) -> Result<Native> {
    let mut rows = Vec::new();
    // The tree and the event files go in as folders, as a user would pass them.
    let tree_root =
        data.tree.paths.first().and_then(|p| p.ancestors().find(|a| a.ends_with("tree"))).map(Path::to_path_buf);
    let events_dir = data.events.paths.first().and_then(|p| p.parent()).map(Path::to_path_buf);
    let sets: [(&'static str, &Set, Vec<PathBuf>); 4] = [
        ("big_json", &data.big_json, data.big_json.paths.clone()),
        ("big_gz", &data.big_gz, data.big_gz.paths.clone()),
        ("tree", &data.tree, tree_root.map(|p| vec![p]).unwrap_or_else(|| data.tree.paths.clone())),
        ("events", &data.events, events_dir.map(|p| vec![p]).unwrap_or_else(|| data.events.paths.clone())),
    ];
    for (name, set, cli_paths) in sets {
        let (one, all) = cli_medians(cli, &cli_paths, runs)?;
        let c1 = ceiling_median(&set.paths, true, runs)?;
        let cn = ceiling_median(&set.paths, false, runs)?;
        let mb = set.json_bytes as f64 / 1e6;
        eprintln!(
            "{name}: CLI {:.0} MB/s one core, {:.0} MB/s all cores (loaded {:?} of {}); ceiling {:.0} / {:.0} MB/s",
            mb / one.secs,
            mb / all.secs,
            all.loaded,
            set.records,
            mb / c1,
            mb / cn
        );
        rows.push((name, one, all, c1, cn));
    }
    Ok(Native { rows })
}

// ---- the serde_json ceiling --------------------------------------------------------------

/// The fields an index needs, borrowed where unescaped; everything else is skipped by serde.
#[derive(Deserialize)]
struct Trail<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<Rec<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Rec<'a> {
    #[serde(borrow)]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    aws_region: Option<Cow<'a, str>>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(rename = "eventID", borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_identity: Option<Identity<'a>>,
    #[serde(borrow)]
    request_parameters: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    principal_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_name: Option<Cow<'a, str>>,
}

/// Reads (and gunzips) one file and parses it with the typed borrowed structs; returns the record count.
fn ceiling_file(path: &Path) -> Result<usize> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 8);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out
    } else {
        raw
    };
    let trail: Trail<'_> = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(trail.records.len())
}

/// `bench --ceiling [--threads N] PATH...`: N = 0 means every core; prints `{"secs":…,"records":…}`.
fn ceiling_command(args: &[String]) -> Result {
    let threads = num(args, "--threads", 1)? as usize;
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--threads" {
            it.next();
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let t = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(paths.len()).max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { return Ok(n) };
                        n += ceiling_file(p)?;
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("ceiling thread panicked".into()))).collect()
    });
    let mut records = 0;
    for r in results {
        records += r?;
    }
    println!("{{\"secs\":{},\"records\":{records}}}", t.elapsed().as_secs_f64());
    Ok(())
}

// ---- the report --------------------------------------------------------------------------

fn machine(browser: &Value) -> String {
    let sh = |cmd: &str| {
        Command::new("sh")
            .args(["-c", cmd])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let mem = sh("free -g | awk '/Mem:/{print $2\" GiB\"}'");
    let nproc = sh("nproc");
    let load = sh("cut -d' ' -f1-3 /proc/loadavg");
    let date = sh("date -u '+%Y-%m-%d %H:%M UTC'");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let code = match git(&["rev-parse", "--short", "HEAD"]) {
        Some(rev) if git(&["status", "--porcelain", "--", "crates", "Cargo.lock"]).is_some_and(|s| !s.is_empty()) => {
            format!("commit {rev} with uncommitted changes in crates/")
        }
        Some(rev) => format!("commit {rev}"),
        None => format!("{} (not a git checkout)", root().display()),
    };
    let os = sh(". /etc/os-release && echo $PRETTY_NAME");
    let rustc = sh("rustc --version");
    let node = sh("node --version");
    format!(
        "- Date: {date}; code measured: {code}\n- CPU: {cpu}, `nproc` = {nproc}; memory {mem}; {os}\n- Load average when the bench ended: {load} (a shared machine: other jobs were running)\n- Chromium {} (Debian, headless), {rustc}, Node {node}\n",
        browser["chromium"].as_str().unwrap_or("?")
    )
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn ms(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |x| if x >= 10_000.0 { format!("{:.1} s", x / 1000.0) } else { format!("{x:.0} ms") })
}

fn mb(bytes: f64) -> String {
    format!("{:.0} MB", bytes / 1e6)
}

/// "app load" cell: time, or why there is none.
fn load_cell(load: &Value) -> (Option<f64>, String) {
    if load.is_null() {
        return (None, "not run".into());
    }
    if load["crashed"].as_bool() == Some(true) {
        return (None, format!("page crashed after {}", ms(f(&load["wallMs"]))));
    }
    if load["timedOut"].as_bool() == Some(true) {
        return (None, format!("not done after {}", ms(f(&load["wallMs"]))));
    }
    if let Some(e) = load["failed"].as_str() {
        let e: String = e.chars().take(80).collect::<String>().replace('|', "/");
        return (None, format!("failed after {}: uncaught `{e}`, then no progress for 60 s", ms(f(&load["wallMs"]))));
    }
    if let Some(e) = load["error"].as_str() {
        return (None, format!("error: {}", e.chars().take(80).collect::<String>().replace('|', "/")));
    }
    let t = f(&load["loadMs"]);
    (t, ms(t))
}

fn parse_median(parse: &Value) -> Option<f64> {
    let mut v: Vec<f64> = parse["parse"].as_array()?.iter().filter_map(Value::as_f64).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

fn rate(bytes: u64, millis: Option<f64>) -> String {
    millis.filter(|m| *m > 0.0).map_or("n/a".into(), |m| format!("{:.0} MB/s", bytes as f64 / 1e6 / (m / 1000.0)))
}

fn counts_cell(load: &Value, expected: u64) -> String {
    let shown = load["counters"]["events"].as_str().unwrap_or("?");
    let statuses = &load["counters"]["statuses"];
    let rejected = statuses["rejected"].as_u64().unwrap_or(0);
    let mut s = format!("{shown} of {expected}");
    if rejected > 0 {
        let _ = write!(s, ", {rejected} files rejected");
    }
    s
}

fn report(
    spec: Spec,
    refilter_records: u64,
    data: &Data,
    browser: &Value,
    native: &Native,
    machine: &str,
    elapsed: u64,
) -> String {
    let sc = &browser["scenarios"];
    let mut t = String::new();
    let full = spec.mb == 200 && spec.files == 2000 && spec.events == 2_000_000;
    let _ = writeln!(t, "# Performance: `cargo xtask bench`\n");
    let _ = writeln!(
        t,
        "Generated by `cargo xtask bench --mb {} --files {} --events {} --seed {}` ({}); the whole run took {} min. Each number is one measurement of this run (medians where stated); nothing here is asserted by a test, and timings on a shared 2-core machine vary by tens of percent between runs — compare the ratios measured in the same run.\n",
        spec.mb,
        spec.files,
        spec.events,
        spec.seed,
        if full {
            "the sizes of issue 5"
        } else {
            "**reduced sizes, not the sizes of issue 5** (200 MB, 2,000 files, 2,000,000 events)"
        },
        elapsed.div_ceil(60)
    );
    let _ = writeln!(t, "## Machine\n\n{machine}");
    let _ = writeln!(t, "## Data (synthetic, `xtask/src/gen.rs`)\n");
    let _ = writeln!(
        t,
        "| set | files | records | EICE records | JSON bytes | on disk |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, s) in [
        ("one `{\"Records\":[…]}` file", &data.big_json),
        ("the same, `.json.gz`", &data.big_gz),
        ("S3-style tree of `.json.gz`", &data.tree),
        ("events set (`.json`, ≤100,000 records a file)", &data.events),
    ] {
        let _ = writeln!(
            t,
            "| {name} | {} | {} | {} | {} | {} |",
            s.paths.len(),
            s.records,
            s.eice,
            mb(s.json_bytes as f64),
            mb(s.disk_bytes as f64)
        );
    }

    let _ = writeln!(t, "\n## In headless Chromium, through the real file input\n");
    let _ = writeln!(
        t,
        "| # | scenario | app load (until `done`) | app MB/s | `JSON.parse` (median of {PARSE_RUNS}) | ratio app / `JSON.parse` | events shown | longest main-thread task |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (i, key, label, set) in [
        (1, "big_json", format!("{} `{{\"Records\":[…]}}` file", mb(data.big_json.json_bytes as f64)), &data.big_json),
        (2, "big_gz", format!("the same as `.json.gz` ({} on disk)", mb(data.big_gz.disk_bytes as f64)), &data.big_gz),
        (3, "tree", format!("{} small `.json.gz` files, selected at once", data.tree.paths.len()), &data.tree),
        (4, "events", format!("{} events in {} file(s)", data.events.records, data.events.paths.len()), &data.events),
    ] {
        let s = &sc[key];
        let load = if s["load"].is_null() && !s["error"].is_null() { s } else { &s["load"] };
        let (app, cell) = load_cell(load);
        let parse = parse_median(&s["parse"]);
        let parse_cell = match (&s["parse"]["error"], parse) {
            (Value::String(e), _) => format!("failed: {}", e.chars().take(60).collect::<String>()),
            (_, Some(p)) => format!("{} ({})", ms(Some(p)), rate(set.json_bytes, Some(p))),
            _ => "—".into(),
        };
        let ratio = match (app, parse) {
            (Some(a), Some(p)) if p > 0.0 => format!("**{:.2}**", a / p),
            _ => "—".into(),
        };
        let longest = f(&load["longest"])
            .map_or("n/a".into(), |l| format!("{l:.0} ms ({} over 100 ms)", load["over100"].as_u64().unwrap_or(0)));
        let _ = writeln!(
            t,
            "| {i} | {label} | {cell} | {} | {parse_cell} | {ratio} | {} | {longest} |",
            rate(set.json_bytes, app),
            if app.is_some() { counts_cell(load, set.records) } else { "—".into() },
        );
    }

    // The long task that delivered `change` (its start is before the load's clock starts).
    for (i, key) in [(1, "big_json"), (2, "big_gz"), (3, "tree"), (4, "events")] {
        let ct = &sc[key]["load"]["changeTask"];
        if let (Some(before), Some(after)) = (f(&ct["before"]), f(&ct["after"])) {
            let _ = writeln!(
                t,
                "\nRow {i}: the task that delivered `change` took {} before it (the browser making the selected \
                 files' `File` objects, outside the page's code) and {} after it (the page's handler); not counted above.",
                ms(Some(before)),
                ms(Some(after))
            );
        }
    }

    for (key, label) in [("big_json", "1"), ("big_gz", "2")] {
        let p = &sc[key]["parse"];
        let med = |k: &str| {
            let v: Vec<f64> = p[k].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
            if v.is_empty() { None } else { Some(median(v)) }
        };
        if let Some(d) = med("decode") {
            let _ = writeln!(
                t,
                "\nReference of row {label}, not counted in `JSON.parse`: {} {}, `TextDecoder` {} (median).",
                if key == "big_gz" {
                    "reading and gunzipping the file in the page with `DecompressionStream`"
                } else {
                    "reading the file in the page"
                },
                ms(f(&p["readMs"])),
                ms(Some(d))
            );
        }
    }

    // Where each worker's time went (src/worker/profile.rs in the app).
    let _ = writeln!(
        t,
        "\nWhere each worker's time went in loads 1–4 (ms, `performance.now()` in the worker; the owner first, \
         then the helpers: waiting for the file's stream or a helper's bytes, parsing, adding to the dataset, \
         waiting for a helper's parsed file, preparing the indexes (how many times), building views):\n"
    );
    let _ = writeln!(t, "| # | worker | wait | parse | add | hand-over | prepare (times) | views |");
    let _ = writeln!(t, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (i, key) in [(1, "big_json"), (2, "big_gz"), (3, "tree"), (4, "events")] {
        let Some(profiles) = sc[key]["load"]["wasm"]["profiles"].as_array() else { continue };
        for (w, p) in profiles.iter().enumerate().filter(|(_, p)| p.is_object()) {
            let n = |k: &str| f(&p[k]).map_or("—".into(), |v| format!("{v:.0}"));
            let _ = writeln!(
                t,
                "| {i} | {} | {} | {} | {} | {} | {} ({}) | {} |",
                if w == 0 { "owner".to_owned() } else { format!("helper {w}") },
                n("wait"),
                n("parse"),
                n("add"),
                n("handover"),
                n("prepare"),
                n("prepares"),
                n("view")
            );
        }
    }

    // When each step of loads 1 and 2 happened (marks of the page and the workers).
    for (i, key) in [(1, "big_json"), (2, "big_gz")] {
        let Some(marks) = sc[key]["load"]["timeline"].as_array() else { continue };
        let steps: Vec<String> =
            marks.iter().filter_map(|m| Some(format!("{} {}", f(&m[1])?, m[0].as_str()?))).collect();
        let _ = writeln!(t, "\nTimeline of load {i} (ms after `change`): {}.", steps.join(" · "));
    }

    // The owner's heap and linear memory at its marks in load 4 (src/worker/profile.rs): which step
    // grows the linear memory, which only ever grows.
    if let Some(marks) = sc["events"]["load"]["wasm"]["profiles"][0]["marks"].as_array() {
        let mb = |v: &Value| f(v).map_or("?".into(), |b| format!("{:.0}", b / 1e6));
        let steps: Vec<String> = marks
            .iter()
            .filter(|m| m[0].as_str().is_some_and(|w| w != "owner: file added"))
            .map(|m| format!("{} {}/{}", m[0].as_str().unwrap_or(""), mb(&m[2]), mb(&m[3])))
            .collect();
        let _ = writeln!(
            t,
            "\nThe owner's live heap / linear memory (MB) at its marks in load 4 (per-file marks left out): {}.",
            steps.join(" · ")
        );
    }

    // Memory of the events load.
    let ev = &sc["events"]["load"];
    let _ = writeln!(t, "\n### Memory of load 4 ({} events)\n", data.events.records);
    if f(&ev["loadMs"]).is_none() && ev["rss"].is_object() {
        let _ = writeln!(
            t,
            "The load did not finish ({}): the values are the peaks until it stopped, divided by all the events generated.\n",
            load_cell(ev).1
        );
    }
    if ev["rss"].is_object() {
        let n = data.events.records as f64;
        let rss_start = f(&ev["rss"]["start"]).unwrap_or(0.0);
        let rss_peak = f(&ev["rss"]["peak"]).unwrap_or(0.0);
        let rss_end = f(&ev["rss"]["end"]).unwrap_or(0.0);
        let wasm_w = f(&ev["wasm"]["workers"]);
        let wasm_m = f(&ev["wasm"]["main"]);
        let _ = writeln!(t, "| measure | bytes | per event |\n| --- | ---: | ---: |");
        let _ = writeln!(
            t,
            "| renderer RSS, peak during the load minus before it | {} | {:.0} |",
            mb(rss_peak - rss_start),
            (rss_peak - rss_start) / n
        );
        let _ = writeln!(
            t,
            "| renderer RSS, after the load minus before it | {} | {:.0} |",
            mb(rss_end - rss_start),
            (rss_end - rss_start) / n
        );
        if let Some(w) = wasm_w.filter(|w| *w > 0.0) {
            let _ = writeln!(
                t,
                "| wasm linear memory of the {} worker(s) (= its peak: it never shrinks) | {} | {:.0} |",
                ev["wasm"]["nWorkers"].as_u64().unwrap_or(0),
                mb(w),
                w / n
            );
            if let Some(each) = ev["wasm"]["each"].as_array().filter(|e| e.len() > 1) {
                let parts: Vec<String> = each.iter().filter_map(f).map(mb).collect();
                let _ = writeln!(t, "| of which each worker (the owner first) | {} | |", parts.join(" + "));
            }
            // The workers' counting allocator: what the heap held at its highest, and at the end.
            if let Some(heaps) = ev["wasm"]["heaps"].as_array().filter(|h| h.iter().all(Value::is_array)) {
                let at = |k: usize| heaps.iter().filter_map(|h| f(&h[k])).collect::<Vec<f64>>();
                let (live, peak) = (at(0), at(1));
                let list = |v: &[f64]| v.iter().map(|&b| mb(b)).collect::<Vec<_>>().join(" + ");
                let sum = |v: &[f64]| v.iter().sum::<f64>();
                let _ = writeln!(
                    t,
                    "| heap peak of each worker (counting allocator; peaks at different times) | {} | {:.0} |",
                    list(&peak),
                    sum(&peak) / n
                );
                let _ =
                    writeln!(t, "| heap live after the load, each worker | {} | {:.0} |", list(&live), sum(&live) / n);
            }
        } else {
            let _ = writeln!(t, "| wasm linear memory of the workers | not readable | — |");
        }
        if let Some(m) = wasm_m.filter(|m| *m > 0.0) {
            let _ = writeln!(t, "| wasm linear memory of the UI thread | {} | {:.0} |", mb(m), m / n);
        }
        if let Some(h) = f(&ev["heap"]) {
            let _ = writeln!(
                t,
                "| UI thread JS heap (`performance.memory.usedJSHeapSize`) after the load | {} | {:.0} |",
                mb(h),
                h / n
            );
        }
        let ua = f(&ev["uaMemory"]).map_or("not available (the page is not cross-origin isolated)".into(), mb);
        let _ = writeln!(t, "| `performance.measureUserAgentSpecificMemory()` | {ua} | |");
        if f(&ev["loadMs"]).is_some() {
            let _ = writeln!(
                t,
                "| long tasks on the UI thread during the load | {} (longest {}) | |",
                ev["longTasks"].as_u64().unwrap_or(0),
                ms(f(&ev["longest"]))
            );
        }
    } else {
        let _ = writeln!(t, "Not measured: {}", load_cell(ev).1);
    }

    let rf = &sc["refilter"];
    let _ = writeln!(
        t,
        "\n### 5. Re-filter on {refilter_records} events{}\n",
        if rf["sameAsEvents"].as_bool() == Some(true) {
            " (the page of load 4)"
        } else {
            " (a page with only those loaded)"
        }
    );
    let rl = &rf["load"];
    if rf["sameAsEvents"].as_bool() != Some(true) {
        if let (Some(load_ms), Some(w)) = (f(&rl["loadMs"]), f(&rl["wasm"]["workers"])) {
            let bytes: u64 = data.events.json_bytes / data.events.records.max(1) * refilter_records;
            let rss = f(&rl["rss"]["peak"]).unwrap_or(0.0) - f(&rl["rss"]["start"]).unwrap_or(0.0);
            let n = refilter_records.max(1) as f64;
            let _ = writeln!(
                t,
                "Load of those {refilter_records} events (~{}): {} (~{}), {} shown; wasm linear memory of the worker(s) {} ({:.0} bytes per event); renderer RSS peak minus before {} ({:.0} bytes per event); longest main-thread task {}.\n",
                mb(bytes as f64),
                ms(Some(load_ms)),
                rate(bytes, Some(load_ms)),
                rl["counters"]["events"].as_str().unwrap_or("?"),
                mb(w),
                w / n,
                mb(rss),
                rss / n,
                ms(f(&rl["longest"]))
            );
        }
    }
    match rf["refilter"].as_array() {
        Some(rows) => {
            let _ = writeln!(
                t,
                "| query (typed, then Enter) | until `stat-events` changed, `done` and every section up to date, plus one frame | events before → after |\n| --- | ---: | ---: |"
            );
            for r in rows {
                let q = r["query"].as_str().unwrap_or("");
                let time = match f(&r["ms"]) {
                    Some(m) => format!("{m:.0} ms"),
                    None => "no change within 120 s".into(),
                };
                let _ = writeln!(
                    t,
                    "| `{}` | {time} | {} → {} |",
                    if q.is_empty() { "(empty: all events)" } else { q },
                    r["before"].as_str().unwrap_or("?"),
                    r["events"].as_str().unwrap_or("?")
                );
            }
        }
        None => {
            let _ = writeln!(t, "Not measured: {}", load_cell(&rf["load"]).1);
        }
    }

    let _ = writeln!(t, "\n### 6. Native CLI (`tunnelscope stats --json`), median of the runs\n");
    let _ = writeln!(
        t,
        "| data | JSON MB | CLI one core (`taskset -c 0`) | CLI all cores | all / one | serde_json typed ceiling, one core | ceiling, all cores | CLI one core / ceiling | records loaded by the CLI |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, one, all, c1, cn) in &native.rows {
        let set = match *name {
            "big_json" => &data.big_json,
            "big_gz" => &data.big_gz,
            "tree" => &data.tree,
            _ => &data.events,
        };
        let m = set.json_bytes as f64 / 1e6;
        let _ = writeln!(
            t,
            "| {name} | {m:.0} | {:.0} MB/s | {:.0} MB/s | {:.2}× | {:.0} MB/s | {:.0} MB/s | {:.2} | {} of {} |",
            m / one.secs,
            m / all.secs,
            one.secs / all.secs,
            m / c1,
            m / cn,
            c1 / one.secs,
            all.loaded.map_or("?".into(), |l| l.to_string()),
            set.records
        );
    }

    t.push_str(HOW);
    t
}

const HOW: &str = "
## How each number is measured

- **Site and data**: `cargo xtask bench` builds the release site (`cargo xtask build`) and the release CLI, then
  generates the data with `xtask/src/gen.rs` (deterministic from `--seed`; kept in `target/bench-data/` and reused).
  The site is served by xtask's static server on a free port of 127.0.0.1.
- **Browser** (`tests/e2e/bench/bench.mjs`): Debian's Chromium, headless, the flags of
  `tests/e2e/playwright.config.ts` plus `--js-flags=--expose-gc --enable-precise-memory-info`; each scenario in a
  fresh browser context. Files are given to the app's `file-input` with `setInputFiles(paths)`: Chromium reads them
  itself. **Load time** = from the input's `change` event to the first `data-state=\"done\"` of `load-status` after it
  (in-page timestamps); \"done\" means the dataset is built and the counters are final. **MB/s** = uncompressed
  JSON bytes / load time (also for `.json.gz`). **Events shown** = `stat-events` after the load, against the
  records generated (duplicates: none; all records are valid).
- **`JSON.parse`**: in the same page, after the app's load, the same file is selected in a second, hidden
  `<input type=file>`, read with `await file.arrayBuffer()` (gunzipped with `DecompressionStream` for `.json.gz`),
  then five times: `gc()`, `new TextDecoder().decode(buffer)` (not counted), `JSON.parse(text)` (timed). The median
  is the reference of the ratio. For `.json.gz` the reference is the parse of the decompressed text (targets:
  ratio ≤ 0.5 for the plain file, ≤ 1.0 for `.json.gz`).
- **Longest main-thread task**: `PerformanceObserver` `longtask` entries of the page that start after `change`.
- **Memory**: Chromium's renderer process(es) RSS (`VmRSS` from `/proc`, summed over the browser's
  `--type=renderer` processes; dedicated workers run inside the renderer) sampled every 100 ms by node during the
  load; the table gives the peak minus the value just before the load, per generated event. The **wasm linear
  memory** is read from the `WebAssembly.Memory` objects of the app's workers (the bench serves the worker loader
  with a wrapper around `WebAssembly.instantiate(Streaming)` prepended, and reads the sizes after the load; linear
  memory never shrinks, so that is its peak). `performance.measureUserAgentSpecificMemory` needs cross-origin
  isolation (COOP/COEP headers), which a static host does not give, so it is reported as unavailable.
- **Time per phase**: each worker sums `performance.now()` differences per phase of the last load
  (`crates/tunnelscope-app/src/worker/profile.rs`: waiting for a stream chunk or a helper's bytes, copying and
  parsing, adding parsed files, waiting for a helper's parsed file, preparing the view's indexes, building
  and posting views), read with `self.__tsProfile()` in each worker after the load.
- **Re-filter**: the query is typed into `filter-input` (`fill`), then Enter is pressed; the time runs from the
  `keydown` to the moment `stat-events` shows a different value while `load-status` is `done` and the page's
  `data-settled` says every section shows the new view (the page brings them up to date one task each), plus one
  animation frame (so the counters, histogram, timeline and tables are rendered).
- **Native**: `target/release/tunnelscope stats --json` on the same files (the tree and the events set as
  folders), pinned to CPU 0 with `taskset -c 0` and on all cores, in alternating pairs after one unmeasured run; the **ceiling** is serde_json's typed parse of the
  same files in this release xtask binary (`bench --ceiling`): read the file, gunzip `.gz` with flate2, then
  `from_slice` into borrowed structs holding the index fields (time, name, source, Region, account, source IP, user
  agent, error code, event ID, identity type/ARN/principal ID/user name, request parameters as raw JSON), everything
  else skipped; one thread per core over the files for \"all cores\". MB/s = uncompressed JSON bytes / wall time
  (process start to exit for the CLI), median of `--runs` (default 5).
";
