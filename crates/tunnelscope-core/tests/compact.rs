//! A compact dataset (raw JSON only for EICE-related events) answers exactly as a full one,
//! and the raw records it dropped are read back from the file bytes by their spans.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use std::path::Path;

use files::{FIXTURES, fixture, gz};
use tunnelscope_core::ingest::read_span;
use tunnelscope_core::query::{Query, QueryIndex, matching_indices};
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::views::{self, Grouping, TunnelPairings, ViewIndex};
use tunnelscope_core::{Dataset, FileStatus};

/// The inputs: the sample, a gzipped copy of it, and every fixture (all shapes, bad files too).
fn inputs() -> Vec<(String, Vec<u8>)> {
    let sample = sample_trail_json();
    let copy = gz(&sample);
    let mut out = vec![(SAMPLE_FILE_NAME.to_owned(), sample), ("sample-copy.json.gz".to_owned(), copy)];
    let dir = Path::new(FIXTURES);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        let bytes = fixture(&n);
        out.push((format!("fixtures/{n}"), bytes));
    }
    out
}

fn load(mut ds: Dataset, inputs: &[(String, Vec<u8>)]) -> Dataset {
    for (name, bytes) in inputs {
        ds.add_file_reports(name, bytes);
    }
    ds
}

#[test]
fn compact_and_full_datasets_answer_alike() {
    let inputs = inputs();
    let full = load(Dataset::new(), &inputs);
    let compact = load(Dataset::compact(), &inputs);
    assert!(full.len() > 100, "the inputs hold events");
    assert_eq!(compact.stats(), full.stats());
    // The counts read from the columns are those of every event, one by one.
    for ds in [&full, &compact] {
        assert_eq!(ds.stats(), ds.stats_of(ds.iter()));
    }
    assert!(full.stats().principals > 1 && full.stats().tunnels.total > 0);
    assert_eq!(compact.files(), full.files());
    assert_eq!(compact.tunnel_rows(), full.tunnel_rows());
    assert_eq!(compact.endpoint_change_rows(), full.endpoint_change_rows());
    assert_eq!(views::coverage(&compact), views::coverage(&full));
    let (qc, qf) = (QueryIndex::new(&compact), QueryIndex::new(&full));
    let (vc, pc) = (ViewIndex::new(&compact), TunnelPairings::new(&compact));
    for text in
        ["", "user:alice", "outcome:failed", "port:22", "event:OpenTunnel", "-event:OpenTunnel", "10.0", "ip:0.0.0.0/0"]
    {
        let q = Query::parse(text).unwrap();
        let idx = qc.matching_indices(&compact, &q, None);
        assert_eq!(idx, qf.matching_indices(&full, &q, None), "{text:?}");
        assert_eq!(idx, matching_indices(&compact, &q, None), "{text:?}");
        assert_eq!(vc.counters(&compact, &idx), views::counters(&full, &idx), "{text:?}");
        assert_eq!(vc.endpoint_lives(&compact, &idx), views::endpoint_lives(&full, &idx), "{text:?}");
        for g in Grouping::ALL {
            assert_eq!(vc.lanes(&compact, &idx, g, Some(&pc)), views::lanes(&full, &idx, g), "{text:?} {g:?}");
        }
    }
    for e in full.iter() {
        // By position: an event ID can name two events (an ID collision in the fixtures).
        let c = compact.get(e.index).unwrap();
        assert_eq!(views::event_row(&c), views::event_row(&e));
        assert_eq!((c.fidelity, c.is_lossy(), c.eice, c.span), (e.fidelity, e.is_lossy(), e.eice, e.span));
        let detail = views::event_detail(&compact, &e.event_id).unwrap();
        let want = views::event_detail(&full, &e.event_id).unwrap();
        assert_eq!((detail.row, detail.tunnel, detail.related), (want.row, want.tunnel, want.related));
        if c.is_eice || c.span.is_none() {
            assert_eq!(c.raw, e.raw, "{}: kept", e.event_id);
        } else {
            assert_eq!(c.raw, "", "{}: dropped", e.event_id);
        }
    }
}

#[test]
fn dropped_raw_records_read_back_from_their_files() {
    let inputs = inputs();
    let compact = load(Dataset::compact(), &inputs);
    let full = load(Dataset::new(), &inputs);
    let mut dropped = 0;
    for e in compact.iter().filter(|e| e.raw.is_empty()) {
        let file = compact.file_of(e.index).unwrap();
        let (outer, member) = match file.split_once("!/") {
            Some((o, m)) => (o, Some(m)),
            None => (file, None),
        };
        let bytes = &inputs.iter().find(|(n, _)| n == outer).unwrap().1;
        let raw = read_span(bytes, member, e.span.unwrap()).unwrap();
        assert_eq!(raw, full.get(e.index).unwrap().raw, "{}", e.event_id);
        dropped += 1;
    }
    // Every unrelated event with a span is stored without its text (the sample has dozens).
    assert_eq!(dropped, full.iter().filter(|e| !e.is_eice && e.span.is_some()).count());
    assert!(dropped > 20, "{dropped} dropped");
    assert!(compact.files().iter().any(|f| f.status == FileStatus::Rejected));
}

#[test]
fn reserving_room_changes_nothing() {
    let inputs = inputs();
    let mut ds = Dataset::compact();
    ds.add_file_reports(&inputs[0].0, &inputs[0].1);
    // Reserve between loads: the event-ID table keeps finding what it already holds.
    ds.reserve(100_000);
    for (name, bytes) in &inputs[1..] {
        ds.add_file_reports(name, bytes);
    }
    let plain = load(Dataset::compact(), &inputs);
    assert_eq!(ds.stats(), plain.stats());
    for e in plain.iter() {
        assert_eq!(ds.get(e.index).unwrap().event_id, e.event_id);
        assert_eq!(ds.index_of(&e.event_id), plain.index_of(&e.event_id), "{}", e.event_id);
    }
}

/// Loads every input through a compact `FileStream` in 4 KiB chunks, as the browser's worker does.
fn load_streamed(inputs: &[(String, Vec<u8>)]) -> Dataset {
    let mut ds = Dataset::compact();
    for (name, bytes) in inputs {
        let mut stream = tunnelscope_core::ingest::FileStream::new(name, bytes.len() as u64).compact();
        for c in bytes.chunks(4096) {
            stream.push(c);
        }
        for (n, parsed) in stream.finish_with(&mut || Ok(bytes.clone())) {
            ds.add_parsed(&n, parsed);
        }
    }
    ds
}

#[test]
fn a_compact_stream_loads_what_a_full_dataset_holds() {
    let mut inputs = inputs();
    // A query row exported and reloaded: its lossiness is read from its text, which stays.
    let reloaded = r#"{"Records":[{"eventVersion":"1.08","eventID":"q-1","eventTime":"2026-10-01T10:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","tunnelscopeSynthesized":{"from":"query-row","lossyFields":["requestParameters"]}}]}"#;
    inputs.push(("reloaded.json".to_owned(), reloaded.as_bytes().to_vec()));
    let full = load(Dataset::new(), &inputs);
    let streamed = load_streamed(&inputs);
    assert_eq!(streamed.stats(), full.stats());
    assert_eq!(streamed.tunnel_rows(), full.tunnel_rows());
    for e in full.iter() {
        let s = streamed.get(e.index).unwrap();
        assert_eq!(views::event_row(&s), views::event_row(&e));
        assert_eq!(
            (s.fidelity, s.is_lossy(), s.eice, s.span),
            (e.fidelity, e.is_lossy(), e.eice, e.span),
            "{}",
            e.event_id
        );
        assert!(s.raw == e.raw || (s.raw.is_empty() && !s.is_eice && s.span.is_some()), "{}", e.event_id);
    }
    assert!(streamed.event("q-1").unwrap().is_lossy());
}
