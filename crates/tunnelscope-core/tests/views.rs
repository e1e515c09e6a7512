//! The investigation views over the built-in sample and small hand-built trails.

use tunnelscope_core::Dataset;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::views::{Grouping, lanes, time_extent};

fn sample() -> Dataset {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    ds
}

fn all(ds: &Dataset) -> Vec<u32> {
    (0..ds.events().len() as u32).collect()
}

#[test]
fn sample_lanes_hold_every_tunnel_once() {
    let ds = sample();
    let idx = all(&ds);
    assert!(time_extent(&ds, &idx).is_some());
    for g in Grouping::ALL {
        let ls = lanes(&ds, &idx, g);
        assert_eq!(ls.iter().map(|l| l.marks.len()).sum::<usize>(), 41, "{g:?}");
    }
}
