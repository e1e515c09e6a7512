//! `cargo xtask fuzz [--time SECS | --runs N] [--jobs N]`: the coverage-guided ingest fuzzer.
//!
//! libFuzzer (the `libfuzzer-sys` crate builds it from source with the C++ compiler) over
//! `fuzz/fuzz_targets/ingest.rs`, which runs `fuzz/src/check.rs` on every input. Coverage
//! guidance on stable Rust: LLVM's SanitizerCoverage pass is asked for with `-C passes` and
//! configured with `-C llvm-args`, both stable codegen options (inline 8-bit edge counters and a
//! PC table, which libFuzzer reads as its coverage map); only the sanitizers (`-Z sanitizer`)
//! would need nightly, and none is used. Comparison tracing (`trace-compares`) is left off: it
//! cost a third of the executions per second here, and the inputs' magic bytes (gzip, zip,
//! JSON keys) are in the seed corpus already.
//!
//! Seeds: the core's fixtures and `../shared/corpus`, read where they are (never copied); what
//! libFuzzer finds goes to a corpus of its own under the target directory, kept between runs.
//! A crash is written under `<target>/fuzz/artifacts/` and fails the command; keep it as a
//! regression test in `crates/tunnelscope-core/tests/fuzz_target.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{Result, flag_value, output, path_env, root, step};

/// Inputs are cut to this length: small inputs run fast and still reach every shape (the
/// fixtures are mostly smaller); length bugs are the checks with big inputs elsewhere.
const MAX_LEN: &str = "4096";

/// The stable flags that make rustc emit libFuzzer's coverage instrumentation.
const RUSTFLAGS: &str = "--cfg fuzzing -C passes=sancov-module -C llvm-args=-sanitizer-coverage-level=4 \
     -C llvm-args=-sanitizer-coverage-inline-8bit-counters -C llvm-args=-sanitizer-coverage-pc-table";

/// Where the fuzzer builds, keeps its corpus and writes crashes.
fn fuzz_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let target = if target.is_absolute() { target } else { root().join(target) };
    target.join("fuzz")
}

fn host_triple() -> Result<String> {
    let info = output("rustc", &["-vV"]).ok_or("cannot run rustc -vV")?;
    info.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV names no host".to_owned())
}

/// Builds the instrumented fuzz target; returns its path.
fn build(dir: &Path) -> Result<PathBuf> {
    step("fuzz: build the instrumented target (libFuzzer, stable Rust)");
    let triple = host_triple()?;
    let build_dir = dir.join("build");
    let build_dir_s = build_dir.to_string_lossy().into_owned();
    // `--target`: RUSTFLAGS then apply to the target only, not to build scripts (which would
    // not link without libFuzzer).
    crate::run_in(
        &root().join("fuzz"),
        "cargo",
        &["build", "--release", "--locked", "--target", &triple, "--bin", "ingest"],
        &[("RUSTFLAGS", RUSTFLAGS), ("CARGO_TARGET_DIR", &build_dir_s)],
    )?;
    Ok(build_dir.join(&triple).join("release").join("ingest"))
}

/// The sum of `stat::number_of_executed_units` over libFuzzer's outputs.
fn executions(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .sum()
}

/// Runs the fuzzer for `--time SECS` (default 60) or `--runs N`, on `--jobs N` processes.
pub(crate) fn run(args: &[String]) -> Result {
    let secs = flag_value(args, "--time");
    let runs = flag_value(args, "--runs");
    let jobs: u32 = flag_value(args, "--jobs").map_or(Ok(1), str::parse).map_err(|e| format!("--jobs: {e}"))?;
    if secs.is_some() && runs.is_some() {
        return Err("fuzz: give --time or --runs, not both".into());
    }
    let dir = fuzz_dir();
    let corpus = dir.join("corpus");
    let artifacts = dir.join("artifacts");
    for d in [&corpus, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let bin = build(&dir)?;
    let fixtures = root().join("crates").join("tunnelscope-core").join("tests").join("fixtures");
    let shared = root().join("..").join("shared").join("corpus");
    let mut cmd = Command::new(&bin);
    cmd.current_dir(&artifacts).env("PATH", path_env()).arg(&corpus).arg(&fixtures);
    if shared.is_dir() {
        cmd.arg(&shared);
    }
    let limit = match (secs, runs) {
        (_, Some(n)) => format!("-runs={n}"),
        (s, None) => format!("-max_total_time={}", s.unwrap_or("60")),
    };
    cmd.args([
        &limit,
        &format!("-max_len={MAX_LEN}"),
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        &format!("-artifact_prefix={}/", artifacts.display()),
    ]);
    if jobs > 1 {
        // Each job writes `fuzz-N.log` in the working directory (the artifacts folder).
        // They share the corpus folder; rereading it every second (the default) took a
        // tenth of the time with thousands of inputs.
        cmd.args([format!("-jobs={jobs}"), format!("-workers={jobs}"), "-reload=30".to_owned()]);
        if runs.is_some() {
            return Err("fuzz: --runs counts one process's executions; use --time with --jobs".into());
        }
    }
    step(&format!("fuzz: {} ({limit}, {jobs} process(es))", bin.display()));
    let started = Instant::now();
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    // With --jobs, libFuzzer copies each job's log to its own output as the job ends.
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if jobs > 1 {
        for k in 0..jobs {
            let _ = std::fs::remove_file(artifacts.join(format!("fuzz-{k}.log")));
        }
    }
    let execs = executions(&text);
    let crashes: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("Test unit written to")
                || l.contains("panicked at")
                || l.starts_with("==") && l.contains("ERROR")
        })
        .collect();
    let failures = text.lines().filter(|l| l.contains("Test unit written to")).count();
    let corpus_len = std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
    eprintln!(
        "fuzz: {execs} executions in {:.0} s, {failures} failures (corpus {corpus_len} inputs at {})",
        started.elapsed().as_secs_f64(),
        corpus.display()
    );
    if out.status.success() && failures == 0 {
        Ok(())
    } else {
        let tail: Vec<&str> = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        Err(format!(
            "fuzz: the fuzzer failed ({}):\n{}\n{}\nkeep the input as a regression test in \
             crates/tunnelscope-core/tests/fuzz_target.rs",
            out.status,
            crashes.join("\n"),
            tail.join("\n")
        ))
    }
}
