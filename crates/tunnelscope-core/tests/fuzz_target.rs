//! The coverage-guided fuzzer's target (`fuzz/src/check.rs`, run by `cargo xtask fuzz`) as an
//! ordinary test, with overflow checks on: every fixture and corpus file through it as a seed,
//! the fixtures under each wrapping and damage the controls choose, and every input the fuzzer
//! found a failure with, inline, so each stays fixed.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

#[path = "../../../fuzz/src/check.rs"]
#[allow(unreachable_pub, dead_code)]
mod check;

use std::path::Path;

use check::{CONTROL_MARK, check, decode};
use files::{CORPUS, FIXTURES, walk};

/// `payload` with control bytes after the mark.
fn with_controls(payload: &[u8], controls: &[u8]) -> Vec<u8> {
    let mut input = payload.to_vec();
    input.extend_from_slice(CONTROL_MARK);
    input.extend_from_slice(controls);
    input
}

/// Every fixture and corpus file as a seed, as the fuzzer first reads them (no controls).
#[test]
fn every_seed_passes_the_fuzz_checks() {
    let mut paths = Vec::new();
    walk(Path::new(FIXTURES), &mut paths);
    walk(Path::new(CORPUS), &mut paths);
    assert!(paths.len() > 20);
    for p in &paths {
        let bytes = std::fs::read(p).unwrap();
        check(&bytes);
    }
}

/// The fixtures under every name, wrapping and damage the controls can choose, at a few cuts.
#[test]
fn fixtures_pass_the_fuzz_checks_in_every_wrapping() {
    let mut paths = Vec::new();
    walk(Path::new(FIXTURES), &mut paths);
    for (i, p) in paths.iter().enumerate() {
        let bytes = std::fs::read(p).unwrap();
        if bytes.len() > 64 << 10 {
            continue;
        }
        for wrap in 0u8..5 {
            for damage in 0u8..3 {
                let name = (i as u8).wrapping_add(wrap).wrapping_add(damage);
                let flags = wrap | damage << 4 | (i as u8 & 1) << 3 | (i as u8 % 4) << 6;
                let at = (bytes.len() / 2) as u16;
                let pos = (bytes.len() / 3) as u16;
                let mut controls = vec![name, flags, at as u8, (at >> 8) as u8, pos as u8, (pos >> 8) as u8, 0x40, 3];
                for cut in [1u16, pos, at] {
                    controls.extend_from_slice(&cut.to_le_bytes());
                }
                let input = with_controls(&bytes, &controls);
                let case = decode(&input);
                assert_eq!(case.cuts.len(), 3, "{}", p.display());
                check(&input);
            }
        }
    }
}

/// Inputs the fuzzer failed on (or that reach a corner it found), each now passing.
#[test]
fn fuzz_findings_stay_fixed() {
    // An empty input, an input that is all controls, and a mark with nothing after it.
    check(b"");
    check(CONTROL_MARK);
    check(&with_controls(b"", &[2, 0x13, 0, 0, 0, 0, 0, 15]));
    check(&with_controls(b"{\"Records\":[{}]}", &[1, 0x21, 0xff, 0xff, 5, 0, 0xff, 15, 1, 0, 1, 0]));
}
