//! The third-party corpus (`../shared/corpus`): every file accounted for, counts reconciled.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use std::path::Path;

use files::{CORPUS, walk};
use tunnelscope_core::{Dataset, FileStatus};

/// Fails under `CI` when the corpus is missing; skips with a notice otherwise.
#[test]
fn every_corpus_file_is_accounted_for() {
    let root = Path::new(CORPUS);
    if !root.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but the corpus is missing at {CORPUS}");
        eprintln!("NOTICE: corpus not found at {CORPUS}; skipping the corpus test");
        return;
    }
    let mut paths = Vec::new();
    walk(root, &mut paths);
    assert!(!paths.is_empty(), "the corpus at {CORPUS} is empty");
    let mut ds = Dataset::new();
    let mut records_found = 0u64;
    for p in &paths {
        let name = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(p).unwrap();
        let reports = ds.add_file_reports(&name, &bytes);
        assert!(!reports.is_empty(), "{name}: no report");
        for r in reports {
            let found = r.n_loaded + r.n_duplicates + r.n_invalid;
            if r.status != FileStatus::Read {
                assert_eq!(found, 0, "{name}: a {} file with records", r.status.as_str());
            }
            records_found += found;
        }
    }
    let s = ds.stats();
    let files_seen = ds.files().len() as u64;
    assert_eq!(s.files.read + s.files.skipped + s.files.rejected, files_seen);
    assert_eq!(files_seen, paths.len() as u64, "no archives in the corpus: one report per file");
    assert_eq!(s.records.loaded + s.records.duplicates + s.records.invalid, records_found);
    assert_eq!(s.records.loaded, ds.events().len() as u64);
    eprintln!(
        "corpus: {} files seen: {} read, {} skipped, {} rejected; {} records found: {} loaded, {} duplicates, {} invalid; {} tunnels ({} failed), {} endpoints, {} principals",
        files_seen,
        s.files.read,
        s.files.skipped,
        s.files.rejected,
        records_found,
        s.records.loaded,
        s.records.duplicates,
        s.records.invalid,
        s.tunnels.total,
        s.tunnels.failed,
        s.endpoints.len(),
        s.principals
    );
    let mut reasons: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for p in &s.problems {
        let short: String = p.reason.chars().take(70).collect();
        *reasons.entry(format!("{} {short}", p.status.as_str())).or_default() += 1;
    }
    for (reason, n) in reasons {
        eprintln!("  {n:4} × {reason}");
    }
    for f in ds.files().iter().filter(|f| f.n_invalid > 0) {
        eprintln!("  invalid in {}: {} (first: {:?})", f.name, f.n_invalid, f.invalid.first());
    }
    // The corpus holds real EICE material (the AWS doc OpenTunnel example, Stratus key pushes).
    assert!(s.tunnels.total >= 1);
    // A test manifest listing record summaries under "events" is not a CloudWatch export.
    if let Some(manifest) = ds.files().iter().find(|f| f.name.ends_with("panther-analysis/manifest.json")) {
        assert_eq!(manifest.status, FileStatus::Rejected);
    }
    // Prose and YAML beside the samples are rejected, never read.
    for f in ds.files() {
        if f.name.ends_with(".md") || f.name.ends_with(".yml") || f.name.ends_with(".rst") {
            assert_eq!(f.status, FileStatus::Rejected, "{}", f.name);
        }
    }
}
