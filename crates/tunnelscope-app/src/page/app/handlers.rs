//! The page's callbacks that depend on nothing but the pool and the dispatcher, made once:
//! callbacks that stay the same let Yew skip the children whose data did not change, so a
//! render step (a section or rows revealed) re-renders only what changed (new callbacks on
//! every render re-rendered every component, ~60 ms a step).

use tunnelscope_core::query::TimeWindow;
use tunnelscope_core::query::format_term;
use tunnelscope_core::sample::SAMPLE_FILE_NAME;
use tunnelscope_core::views::page::SessionSort;
use tunnelscope_core::views::{Grouping, SortOrder};
use web_sys::File;
use yew::prelude::*;

use crate::page::app::engine::{Pool, with_pool};
use crate::page::app::fragment::clear_fragment;
use crate::page::pool::EnginePool;
use crate::page::state::{Action, AppState, ViewChange};
use crate::page::tasks::{clear_marks, next_task, now_ms, perf_mark};
use crate::protocol::ExportKind;

/// Files whose size is read in one task (see `on_files`): ~25 ms at ~0.15-0.3 ms a file.
const SIZES_PER_TASK: usize = 100;

/// The built-in sample's size in bytes (its load report and the link's fingerprint show it).
/// A constant, checked by the test below: the sample is made in the owner worker, and making it
/// here only to measure it put its generator into the page's module (24 KB of code, issue 23).
const SAMPLE_BYTES: u64 = 149_790;

/// The callbacks.
#[derive(Clone)]
pub(super) struct Handlers {
    pub(super) on_files: Callback<Vec<(String, File)>>,
    pub(super) on_sample: Callback<MouseEvent>,
    pub(super) on_clear: Callback<MouseEvent>,
    pub(super) on_query: Callback<String>,
    pub(super) on_filter: Callback<(String, String)>,
    pub(super) on_window: Callback<Option<TimeWindow>>,
    pub(super) on_grouping: Callback<Grouping>,
    pub(super) on_page: Callback<usize>,
    pub(super) on_event_need: Callback<usize>,
    pub(super) on_eice_only: Callback<bool>,
    pub(super) on_order: Callback<SortOrder>,
    pub(super) on_select: Callback<String>,
    pub(super) on_close: Callback<()>,
    pub(super) on_local: Callback<MouseEvent>,
    pub(super) on_help: Callback<MouseEvent>,
    pub(super) on_help_close: Callback<()>,
    pub(super) export_tunnels_csv: Callback<MouseEvent>,
    pub(super) export_tunnels_json: Callback<MouseEvent>,
    pub(super) export_events_csv: Callback<MouseEvent>,
    pub(super) export_events_json: Callback<MouseEvent>,
    pub(super) export_records: Callback<MouseEvent>,
    pub(super) on_export: Callback<ExportKind>,
    pub(super) on_gap: Callback<String>,
    pub(super) on_settings: Callback<Vec<String>>,
    pub(super) on_session_sort: Callback<SessionSort>,
    pub(super) on_session_page: Callback<usize>,
    pub(super) on_finding_page: Callback<usize>,
    pub(super) on_findings_newest: Callback<bool>,
    /// Opens a session: its tunnels and key pushes become the view, its first tunnel selected.
    pub(super) on_open_session: Callback<String>,
    /// Opens a finding: its evidence becomes the view.
    pub(super) on_open_finding: Callback<String>,
}

/// A callback that dispatches the action `f` makes of its argument.
fn dispatch<T: 'static>(d: &UseReducerDispatcher<AppState>, f: impl Fn(T) -> Action + 'static) -> Callback<T> {
    let d = d.clone();
    Callback::from(move |x: T| d.dispatch(f(x)))
}

/// A callback that changes the view request with its argument.
fn view_change<T: 'static>(d: &UseReducerDispatcher<AppState>, change: fn(T) -> ViewChange) -> Callback<T> {
    dispatch(d, move |x| Action::ChangeView(change(x)))
}

impl Handlers {
    pub(super) fn new(pool: &Pool, d: &UseReducerDispatcher<AppState>) -> Self {
        let on_files = {
            let (pool, d) = (pool.clone(), d.clone());
            Callback::from(move |files: Vec<(String, File)>| {
                let (pool, d) = (pool.clone(), d.clone());
                yew::platform::spawn_local(async move {
                    // A selected file's size is asked of the browser the first time it is
                    // read (posting the file to a worker would ask too): ~0.2 ms a file on
                    // this thread, 0.4 s for 2,000 files. So a hundred a task, each its own.
                    let mut sizes = Vec::with_capacity(files.len());
                    for (_, f) in &files {
                        sizes.push(f.size() as u64);
                        if sizes.len() % SIZES_PER_TASK == 0 {
                            next_task().await;
                        }
                    }
                    let Ok(p) = pool.as_ref() else { return };
                    let listed: Vec<(String, u64)> =
                        files.iter().zip(&sizes).map(|((n, _), s)| (n.clone(), *s)).collect();
                    let (files_total, bytes_total) = (files.len(), sizes.iter().sum());
                    let load_id = p.next_load_id();
                    d.dispatch(Action::StartLoad {
                        load_id,
                        files: listed,
                        files_total,
                        bytes_total,
                        now_ms: now_ms(),
                    });
                    // The marks of one load at a time (for the benchmark's timeline).
                    clear_marks();
                    perf_mark("ui: files to the workers");
                    p.load(load_id, files);
                    perf_mark("ui: files posted");
                });
            })
        };
        let on_sample = {
            let (pool, d) = (pool.clone(), d.clone());
            Callback::from(move |_: MouseEvent| {
                let Ok(p) = pool.as_ref() else { return };
                let size = SAMPLE_BYTES;
                let load_id = p.next_load_id();
                let files = vec![(SAMPLE_FILE_NAME.to_owned(), size)];
                d.dispatch(Action::StartLoad { load_id, files, files_total: 1, bytes_total: size, now_ms: now_ms() });
                p.load_sample(load_id);
            })
        };
        let on_clear = {
            let (pool, d) = (pool.clone(), d.clone());
            Callback::from(move |_: MouseEvent| {
                with_pool(&pool, EnginePool::clear);
                d.dispatch(Action::Cleared);
                clear_fragment();
            })
        };
        let export = |kind: ExportKind| dispatch(d, move |_: MouseEvent| Action::Export(kind));
        Self {
            on_files,
            on_sample,
            on_clear,
            on_query: view_change(d, ViewChange::Query),
            on_filter: view_change(d, |(key, value)| ViewChange::AddTerm(key, value)),
            on_window: view_change(d, ViewChange::Window),
            on_grouping: view_change(d, ViewChange::Grouping),
            on_page: view_change(d, ViewChange::Page),
            on_event_need: view_change(d, ViewChange::EventPage),
            on_eice_only: view_change(d, ViewChange::EiceOnly),
            on_order: view_change(d, ViewChange::Order),
            on_select: dispatch(d, |id: String| Action::Select(Some(id))),
            on_close: dispatch(d, |()| Action::Select(None)),
            on_local: dispatch(d, |_: MouseEvent| Action::ToggleLocalTime),
            on_help: dispatch(d, |_: MouseEvent| Action::ToggleHelp),
            on_help_close: dispatch(d, |()| Action::ToggleHelp),
            export_tunnels_csv: export(ExportKind::TunnelsCsv),
            export_tunnels_json: export(ExportKind::TunnelsJson),
            export_events_csv: export(ExportKind::EventsCsv),
            export_events_json: export(ExportKind::EventsJson),
            export_records: export(ExportKind::Records),
            on_export: dispatch(d, Action::Export),
            on_gap: view_change(d, ViewChange::Gap),
            on_settings: view_change(d, ViewChange::Settings),
            on_session_sort: view_change(d, ViewChange::SessionSort),
            on_session_page: view_change(d, ViewChange::SessionPage),
            on_finding_page: view_change(d, ViewChange::FindingPage),
            on_findings_newest: view_change(d, ViewChange::FindingsNewest),
            on_open_session: {
                let d = d.clone();
                Callback::from(move |id: String| {
                    d.dispatch(Action::ChangeView(ViewChange::Query(format_term("session", &id))));
                    // A session's ID is its first tunnel's event ID.
                    d.dispatch(Action::Select(Some(id)));
                })
            },
            on_open_finding: view_change(d, |id: String| ViewChange::Query(format_term("finding", &id))),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_size_is_the_samples() {
        let bytes = tunnelscope_core::sample::sample_trail_json();
        assert_eq!(super::SAMPLE_BYTES, bytes.len() as u64);
    }
}
