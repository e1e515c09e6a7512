//! The reducer's tests: what the page shows after each sequence of actions.

use super::*;
use tunnelscope_core::views::page::{Page, PageRequest};

fn view(generation: u64, n_events: u64) -> Rc<View> {
    Rc::new(View { generation, page: Page { n_events, ..Page::default() }, ..View::default() })
}

fn req(generation: u64) -> Action {
    Action::RequestView(ViewRequest { generation, ..ViewRequest::default() })
}

fn start(load_id: u64) -> Action {
    Action::StartLoad { load_id, files: Vec::new(), files_total: 2, bytes_total: 1000, now_ms: 0.0 }
}

fn loaded(load_id: u64, generation: u64) -> Action {
    Action::Loaded { load_id, generation, cancelled: false }
}

fn progressed(load_id: u64, files_done: usize, bytes_done: u64, now_ms: f64) -> Action {
    Action::Progressed {
        load_id,
        progress: Progress { files_done, files_total: 2, bytes_done, bytes_total: 1000, records_done: 7 },
        now_ms,
    }
}

fn run(actions: Vec<Action>) -> Rc<AppState> {
    actions.into_iter().fold(Rc::new(AppState::default()), |s, a| s.reduce(a))
}

#[test]
fn done_only_when_the_view_after_the_load_arrives() {
    let s = run(vec![start(1), loaded(1, 1)]);
    assert_eq!(s.phase, LoadPhase::Loading);
    let s = s.reduce(req(1));
    let s = s.reduce(Action::ViewArrived(view(1, 5)));
    assert_eq!(s.phase, LoadPhase::Done);
    assert_eq!(s.view.n_events, 5);
    assert!(s.batch.is_none(), "the progress bar goes once done");
    assert!(!s.cancelled);
}

#[test]
fn stale_views_are_dropped() {
    let s = run(vec![req(2), req(3), Action::ViewArrived(view(2, 9))]);
    assert_eq!(s.view.n_events, 0);
    let s = s.reduce(Action::ViewArrived(view(3, 4)));
    assert_eq!(s.view.n_events, 4);
}

#[test]
fn overlapping_loads_finish_together() {
    let s = run(vec![start(1), start(2), loaded(1, 1), req(1), Action::ViewArrived(view(1, 1))]);
    assert_eq!(s.phase, LoadPhase::Loading, "one load still in flight");
    let s = s.reduce(loaded(2, 2));
    let s = s.reduce(req(2));
    let s = s.reduce(Action::ViewArrived(view(2, 2)));
    assert_eq!(s.phase, LoadPhase::Done);
}

#[test]
fn partial_views_show_but_do_not_end_the_load() {
    let s = run(vec![start(1), progressed(1, 1, 400, 500.0), req(1), Action::ViewArrived(view(1, 3))]);
    assert_eq!(s.phase, LoadPhase::Loading);
    assert_eq!(s.view.n_events, 3, "the partial view is on screen");
    // A second partial view, then the load ends: the partial view requested before the end
    // arrives late and is stale; only the view after the load marks done.
    let s = s.reduce(req(2));
    let s = s.reduce(loaded(1, 3));
    let s = s.reduce(req(3));
    let s = s.reduce(Action::ViewArrived(view(2, 4)));
    assert_eq!(s.phase, LoadPhase::Loading);
    assert_eq!(s.view.n_events, 3, "stale partial view dropped");
    let s = s.reduce(Action::ViewArrived(view(3, 6)));
    assert_eq!(s.phase, LoadPhase::Done);
    assert_eq!(s.view.n_events, 6);
}

#[test]
fn a_partial_view_after_an_earlier_load_does_not_end_a_later_one() {
    // Load 1 ends and its final view is pending when load 2 starts: views during load 2
    // (even one with the generation load 1 waited for) must not mark done.
    let s = run(vec![start(1), loaded(1, 1), start(2), req(1), Action::ViewArrived(view(1, 2))]);
    assert_eq!(s.phase, LoadPhase::Loading);
    let s = s.reduce(loaded(2, 2)).reduce(req(2)).reduce(Action::ViewArrived(view(2, 5)));
    assert_eq!(s.phase, LoadPhase::Done);
}

/// Issue 17: a query that does not parse must not leave the page looking filtered by it.
#[test]
fn a_query_that_does_not_parse_is_not_applied_and_the_page_says_what_is() {
    use crate::page::components::filter_bar::not_applied;
    let ask = |generation: u64, query: &str| {
        Action::RequestView(ViewRequest {
            generation,
            page: PageRequest { query: query.to_owned(), ..PageRequest::default() },
        })
    };
    let answer = |generation: u64, n_events: u64, query_error: Option<&str>| {
        let page = Page { n_events, n_events_total: 9, query_error: query_error.map(str::to_owned), ..Page::default() };
        Action::ViewArrived(Rc::new(View { generation, page, ..View::default() }))
    };
    let s = run(vec![ask(1, "port:22"), answer(1, 4, None)]);
    assert_eq!(not_applied(None, &s.request.query), None, "the applied query needs no note");
    // Typed and refused in the box: never sent, so the state (request, view, link) keeps
    // port:22 and the note says that port:22 is what the data shows.
    let n = not_applied(Some("user:alice OR"), &s.request.query).unwrap();
    assert_eq!((s.request.query.as_str(), s.view.n_events), ("port:22", 4));
    assert_eq!((n.bad.as_str(), n.showing.as_str()), ("OR", "port:22"));
    // A broken query from a link reaches the engine, which answers it unfiltered: the note
    // says so, with the fault marked, rather than leaving "(user:alice" looking applied.
    let s = s.reduce(ask(2, "(user:alice")).reduce(answer(2, 9, Some("this ( is never closed: add a )")));
    assert_eq!((s.view.n_events, s.view.query_error.as_deref()), (9, Some("this ( is never closed: add a )")));
    let n = not_applied(None, &s.request.query).unwrap();
    assert_eq!((n.bad.as_str(), n.after.as_str(), n.showing.as_str()), ("(", "user:alice", ""));
    // A query that parses, with OR, a group and a wildcard, is applied: no note.
    let s = s.reduce(ask(3, "(user:alice OR user:carol) event:Describe*")).reduce(answer(3, 2, None));
    assert_eq!(not_applied(None, &s.request.query), None);
    assert_eq!(s.view.query_error, None);
}

#[test]
fn cancel_ends_in_done_with_the_cancelled_flag() {
    let s = run(vec![start(1), progressed(1, 1, 400, 500.0), Action::CancelRequested]);
    assert!(s.cancelling);
    assert_eq!(s.phase, LoadPhase::Loading, "loading until the engine confirms");
    let s = s.reduce(Action::Loaded { load_id: 1, generation: 1, cancelled: true });
    assert_eq!(s.phase, LoadPhase::Loading, "until the view of what was kept arrives");
    let s = s.reduce(req(1)).reduce(Action::ViewArrived(view(1, 3)));
    assert_eq!(s.phase, LoadPhase::Done);
    assert!(s.cancelled);
    assert!(!s.cancelling);
    assert_eq!(s.view.n_events, 3, "what was read before the cancel stays");
    // The next load starts afresh.
    let s = s.reduce(start(2));
    assert!(!s.cancelled);
    assert_eq!(s.batch.as_ref().map(|b| b.loads.len()), Some(1));
}

#[test]
fn cancel_with_several_loads_waits_for_all_of_them() {
    let s = run(vec![start(1), start(2), Action::CancelRequested]);
    let s = s.reduce(Action::Loaded { load_id: 2, generation: 1, cancelled: true });
    assert!(s.cancelling);
    let s = s.reduce(Action::Loaded { load_id: 1, generation: 2, cancelled: true });
    assert!(!s.cancelling);
    let s = s.reduce(req(2)).reduce(Action::ViewArrived(view(2, 0)));
    assert_eq!(s.phase, LoadPhase::Done);
    assert!(s.cancelled);
}

#[test]
fn cancel_when_nothing_loads_changes_nothing() {
    let s = run(vec![]);
    let s2 = Rc::clone(&s).reduce(Action::CancelRequested);
    assert!(Rc::ptr_eq(&s, &s2));
}

#[test]
fn a_load_ended_after_clear_is_ignored() {
    let s = run(vec![start(1), Action::Cleared]);
    assert_eq!(s.phase, LoadPhase::Idle);
    let s = s.reduce(Action::Loaded { load_id: 1, generation: 1, cancelled: true });
    let s = s.reduce(req(1)).reduce(Action::ViewArrived(view(1, 0)));
    assert_eq!(s.phase, LoadPhase::Idle);
    assert!(!s.cancelled);
}

#[test]
fn progress_sums_the_batch_and_estimates_time_left() {
    let s = run(vec![start(1), start(2), progressed(1, 1, 250, 1000.0)]);
    let summary = s.batch.as_ref().map(LoadBatch::summary).unwrap();
    assert_eq!(summary.progress.files_total, 4);
    assert_eq!(summary.progress.bytes_total, 2000);
    assert_eq!(summary.progress.files_done, 1);
    assert_eq!(summary.progress.records_done, 7);
    assert_eq!(summary.bytes_per_sec(), Some(250.0));
    assert_eq!(summary.secs_left(), Some(7.0));
    assert!((summary.fraction() - 0.125).abs() < 1e-9);
    // Progress for a load that is not in the batch is ignored.
    let s2 = Rc::clone(&s).reduce(progressed(9, 1, 1, 2000.0));
    assert!(Rc::ptr_eq(&s, &s2));
}

#[test]
fn no_rate_or_time_left_before_it_means_something() {
    let early = ProgressSummary {
        progress: Progress { bytes_done: 10, bytes_total: 100, ..Progress::default() },
        elapsed_ms: 50.0,
    };
    assert_eq!(early.bytes_per_sec(), None);
    assert_eq!(early.secs_left(), None);
    let all_read = ProgressSummary {
        progress: Progress { bytes_done: 100, bytes_total: 100, ..Progress::default() },
        elapsed_ms: 5000.0,
    };
    assert_eq!(all_read.bytes_per_sec(), Some(20.0));
    assert_eq!(all_read.secs_left(), None, "every byte read: finishing, not a time");
    assert_eq!(ProgressSummary::default().fraction(), 0.0);
}

#[test]
fn the_sample_load_completes_its_progress_without_messages() {
    let s = run(vec![start(1), loaded(1, 1)]);
    let p = s.batch.as_ref().map(LoadBatch::summary).unwrap().progress;
    assert_eq!((p.files_done, p.bytes_done), (2, 1000));
}

fn view_with_tunnels(generation: u64, n: usize) -> Rc<View> {
    let mut ds = tunnelscope_core::Dataset::new();
    ds.add_file(tunnelscope_core::sample::SAMPLE_FILE_NAME, &tunnelscope_core::sample::sample_trail_json());
    let rows = ds.tunnel_rows();
    let tunnels = rows.iter().cycle().take(n).cloned().collect();
    Rc::new(View { generation, page: Page { tunnels, ..Page::default() }, ..View::default() })
}

#[test]
fn rows_appear_in_steps_and_done_waits_for_all_of_them() {
    let s = run(vec![start(1), loaded(1, 1), req(1), Action::ViewArrived(view_with_tunnels(1, 60))]);
    assert_eq!(s.shown_tunnels().len(), 0);
    assert_eq!(s.phase, LoadPhase::Loading, "not done while rows are still being added");
    let s = s.reduce(Action::RevealMore).reduce(Action::RevealMore);
    assert_eq!(s.shown_tunnels().len(), 2 * ROW_STEP);
    assert_eq!(s.phase, LoadPhase::Loading);
    let s = s.reduce(Action::RevealMore);
    assert_eq!(s.shown_tunnels().len(), 60);
    assert_eq!(s.phase, LoadPhase::Done);
    // A view with the same rows patches them in place: all shown at once.
    let s = s.reduce(req(2)).reduce(Action::ViewArrived(view_with_tunnels(2, 60)));
    assert_eq!(s.shown_tunnels().len(), 60);
    // Fewer rows: shown at once; more again: in steps.
    let s = s.reduce(req(3)).reduce(Action::ViewArrived(view_with_tunnels(3, 10)));
    assert_eq!(s.shown_tunnels().len(), 10);
    let s = s.reduce(req(4)).reduce(Action::ViewArrived(view_with_tunnels(4, 60)));
    assert_eq!(s.shown_tunnels().len(), 10);
    assert_eq!(s.phase, LoadPhase::Done, "filtering after a load never goes back to loading");
    let s = s.reduce(Action::RevealMore);
    assert_eq!(s.shown_tunnels().len(), 10 + ROW_STEP);
}

#[test]
fn sections_mount_one_per_task_when_data_first_appears() {
    let data = |generation| {
        Rc::new(View { generation, page: Page { n_events_total: 5, ..Page::default() }, ..View::default() })
    };
    let mut s = run(vec![start(1), loaded(1, 1), req(1), Action::ViewArrived(data(1))]);
    for n in 1..=SECTIONS {
        assert!(!s.section_shown(n));
        assert_eq!(s.phase, LoadPhase::Loading);
        s = s.reduce(Action::RevealMore);
        assert!(s.section_shown(n));
    }
    assert_eq!(s.phase, LoadPhase::Done);
    // Later views once loaded (filters) keep every section mounted and show in them at once.
    let s = s.reduce(req(2)).reduce(Action::ViewArrived(data(2)));
    assert!(s.fully_shown());
    assert!((1..=SECTIONS).all(|n| s.section_shown(n) && s.section_view(n).generation == 2));
    // Cleared: nothing to mount until data comes again.
    let s = s.reduce(Action::Cleared);
    assert!(!s.section_shown(1));
    assert!(s.fully_shown());
}

#[test]
fn a_new_page_has_nothing_to_bring_up_to_date() {
    let s = AppState::default();
    assert!(s.fully_shown());
    assert!(Rc::ptr_eq(s.tunnel_view(), &s.view));
}

#[test]
fn while_loading_a_new_view_shows_its_counters_at_once_then_each_section_and_the_tunnel_table_a_task_each() {
    let data = |generation, n| {
        let mut v = (*view_with_tunnels(generation, n)).clone();
        v.page.n_events_total = 100;
        v.page.n_events = 100 - generation;
        Rc::new(v)
    };
    let mut s = run(vec![start(1), loaded(1, 1), req(1), Action::ViewArrived(data(1, 60))]);
    while !s.fully_shown() {
        s = s.reduce(Action::RevealMore);
    }
    assert_eq!((s.phase, s.shown_tunnels().len()), (LoadPhase::Done, 60));
    // A partial view during a later load, then the view that ends it.
    let mut s = s.reduce(start(2)).reduce(req(2)).reduce(Action::ViewArrived(data(2, 60)));
    assert_eq!(s.view.n_events, 98, "the counters follow at once");
    assert_eq!(s.tunnel_view().generation, 1, "the tunnel table waits for its turn");
    s = s.reduce(Action::RevealMore).reduce(loaded(2, 3)).reduce(req(3)).reduce(Action::ViewArrived(data(3, 40)));
    // One step went to section 1 before the last view came: nothing shows view 3 but the counters.
    assert_eq!((s.section_view(1).generation, s.section_view(2).generation), (2, 1));
    let mut steps = 0;
    while !s.fully_shown() {
        assert_eq!(s.phase, LoadPhase::Loading, "not done while a section shows an older view");
        let before = s.steps;
        s = s.reduce(Action::RevealMore);
        assert_eq!(s.steps, before + 1);
        steps += 1;
    }
    // Sections 1..=4, then the tunnel table (40 of its 60 rows patched in place).
    assert_eq!(steps, usize::from(SECTIONS) + 1);
    assert!((1..=SECTIONS).all(|n| s.section_view(n).generation == 3));
    assert_eq!((s.tunnel_view().generation, s.shown_tunnels().len()), (3, 40));
    assert_eq!(s.phase, LoadPhase::Done);
    // Nothing left: a further step changes nothing.
    assert!(Rc::ptr_eq(&s, &s.clone().reduce(Action::RevealMore)));
}

#[test]
fn a_stopped_engine_ends_the_load_with_an_error() {
    // A first load is on screen, then the engine stops during the next one.
    let s = run(vec![start(1), loaded(1, 1), req(1), Action::ViewArrived(view(1, 5)), start(2)]);
    assert_eq!(s.view.n_events, 5);
    let s = s.reduce(Action::EngineStopped("unreachable, while loading a.json".into()));
    assert_eq!(s.phase, LoadPhase::Done);
    let error = s.error.as_deref().unwrap_or_default();
    assert!(error.contains("unreachable, while loading a.json"), "{error}");
    assert!(error.contains("Everything loaded was lost") && error.contains("fresh engine"), "{error}");
    assert_eq!((s.view.n_events, s.view.n_events_total), (0, 0), "what was lost is not shown");
    assert!(s.loads.is_empty());
}

fn export_file(export_id: u64) -> Rc<ExportFile> {
    Rc::new(ExportFile {
        export_id,
        file_name: "records.json".into(),
        mime: "application/json".into(),
        body: ExportBody::Text("{}".into()),
    })
}

fn export_started(export_id: u64) -> Action {
    Action::ExportStarted { export_id, kind: ExportKind::Records }
}

#[test]
fn an_export_shows_its_progress_then_its_file_is_downloaded_once() {
    let s = run(vec![export_started(1)]);
    let r = s.export.clone().unwrap();
    assert_eq!((r.done, r.total, r.started, r.cancelling), (0, 0, false, false), "waiting for its turn");
    let s = s.reduce(Action::ExportProgressed { export_id: 1, done: 10, total: 50 });
    let s = s.reduce(Action::ExportProgressed { export_id: 1, done: 30, total: 50 });
    let r = s.export.clone().unwrap();
    assert_eq!((r.done, r.total, r.started), (30, 50, true));
    // Another export's messages change nothing.
    for other in [
        Action::ExportProgressed { export_id: 9, done: 1, total: 2 },
        Action::ExportCancelled { export_id: 9 },
        Action::ExportArrived(export_file(9)),
    ] {
        assert!(Rc::ptr_eq(&s, &Rc::clone(&s).reduce(other)));
    }
    let s = s.reduce(Action::ExportArrived(export_file(1)));
    assert_eq!(s.export, None, "the buttons come back");
    assert_eq!(s.download.as_ref().map(|f| f.export_id), Some(1));
    let s = s.reduce(Action::Downloaded { export_id: 1 });
    assert_eq!(s.download, None);
}

#[test]
fn a_cancelled_export_downloads_nothing_even_if_its_file_was_already_on_its_way() {
    let s = run(vec![export_started(1), Action::ExportProgressed { export_id: 1, done: 5, total: 50 }]);
    let s = s.reduce(Action::ExportCancelRequested);
    assert!(s.export.as_ref().is_some_and(|r| r.cancelling), "cancelling until the engine confirms");
    let confirmed = Rc::clone(&s).reduce(Action::ExportCancelled { export_id: 1 });
    assert_eq!((confirmed.export.clone(), confirmed.download.clone()), (None, None));
    let raced = s.reduce(Action::ExportArrived(export_file(1)));
    assert_eq!((raced.export.clone(), raced.download.clone()), (None, None));
    // Nothing to cancel: nothing changes.
    assert!(Rc::ptr_eq(&raced, &Rc::clone(&raced).reduce(Action::ExportCancelRequested)));
}

#[test]
fn clearing_or_a_stopped_engine_ends_the_export() {
    let s = run(vec![export_started(1), Action::Cleared]);
    assert_eq!(s.export, None);
    let s = s.reduce(export_started(2)).reduce(Action::EngineStopped("gone".into()));
    assert_eq!(s.export, None);
    // A newer export replaces an older one, whose file is then not wanted.
    let s = s.reduce(export_started(3)).reduce(export_started(4)).reduce(Action::ExportArrived(export_file(3)));
    assert_eq!((s.export.as_ref().map(|r| r.export_id), s.download.clone()), (Some(4), None));
}

#[test]
fn details_only_for_the_current_selection() {
    let s = run(vec![Action::Select(Some("b".into()))]);
    let mut detail = EventDetail::default();
    detail.row.event_id = "a".into();
    let s2 = Rc::clone(&s).reduce(Action::DetailArrived("a".into(), Some(Rc::new(detail.clone()))));
    assert!(s2.detail.is_none());
    // "a" is not loaded: says nothing of "b".
    let s2 = s2.reduce(Action::DetailArrived("a".into(), None));
    assert!(s2.detail.is_none() && !s2.detail_missing);
    detail.row.event_id = "b".into();
    let s3 = s2.reduce(Action::DetailArrived("b".into(), Some(Rc::new(detail))));
    assert!(s3.detail.is_some() && !s3.detail_missing);
}

#[test]
fn a_selection_missing_from_the_data_says_so() {
    let s = run(vec![Action::Select(Some("gone".into())), Action::DetailArrived("gone".into(), None)]);
    assert!(s.detail_missing && s.detail.is_none());
    // Another selection asks again.
    let s = s.reduce(Action::Select(Some("other".into())));
    assert!(!s.detail_missing);
}

#[test]
fn a_view_change_asks_for_the_next_generation() {
    let s = run(vec![req(4), Action::ChangeView(ViewChange::Page(100))]);
    assert_eq!((s.generation, s.request.generation, s.request.offset), (5, 5, 100));
    let s = s.reduce(Action::ChangeView(ViewChange::AddTerm("port".into(), "22".into())));
    assert_eq!((s.generation, s.request.query.as_str(), s.request.offset), (6, "port:22", 0));
    let s = s.reduce(Action::ChangeView(ViewChange::Refresh));
    assert_eq!((s.generation, s.request.query.as_str()), (7, "port:22"));
}

#[test]
fn a_load_ended_asks_for_the_first_page_and_restores_the_link() {
    let other = files_fingerprint(&[("other.json".into(), 1)]);
    let opened = AppState::opened_with(&format!("#q=port%3A22&sel=abc&fp={other}"), false);
    assert_eq!((opened.generation, opened.request.generation), (1, 1));
    assert_eq!(opened.request.query, "port:22");
    assert_eq!(opened.link.fingerprint.as_deref(), Some(other.as_str()));
    let s = Rc::new(opened).reduce(Action::StartLoad {
        load_id: 1,
        files: vec![("a.json".into(), 10)],
        files_total: 1,
        bytes_total: 10,
        now_ms: 0.0,
    });
    let s = s.reduce(Action::ChangeView(ViewChange::Page(100)));
    let s = s.reduce(Action::LoadEnded { load_id: 1, cancelled: false });
    assert_eq!((s.generation, s.request.offset), (3, 0));
    assert_eq!(s.awaiting, Some(3), "done once the view after the load arrives");
    assert!(s.notice.as_deref().is_some_and(|n| n.contains("different set of files")), "{:?}", s.notice);
    assert_eq!(s.selected.as_deref(), Some("abc"), "the link's selection, once the load ended");
    assert!(s.link.selection.is_none(), "restored once");
    let s = s.reduce(Action::ViewArrived(view(3, 5)));
    assert_eq!(s.phase, LoadPhase::Done);
}

#[test]
fn escape_closes_the_help_else_the_detail() {
    let s = run(vec![Action::Select(Some("e".into())), Action::ToggleHelp, Action::Escape]);
    assert!(!s.show_help);
    assert_eq!(s.selected.as_deref(), Some("e"));
    let s = s.reduce(Action::Escape);
    assert_eq!(s.selected, None);
}

#[test]
fn partial_views_are_asked_for_as_files_finish() {
    let s = run(vec![
        start(1),
        Action::ProgressArrived {
            load_id: 1,
            progress: Progress { files_done: 1, files_total: 2, ..Progress::default() },
            now_ms: 1000.0,
        },
    ]);
    assert_eq!(s.generation, 1, "a partial view asked for");
    let s = s.reduce(Action::ProgressArrived {
        load_id: 1,
        progress: Progress { files_done: 1, files_total: 2, bytes_done: 9, ..Progress::default() },
        now_ms: 3000.0,
    });
    assert_eq!(s.generation, 1, "no file finished since, and one in flight");
    assert_eq!(s.batch.as_ref().map(|b| b.summary().progress.bytes_done), Some(9));
}

#[test]
fn exports_get_the_next_id() {
    let s = run(vec![Action::Export(ExportKind::Records)]);
    assert_eq!(s.export.as_ref().map(|r| r.export_id), Some(1));
    let s = s.reduce(Action::ExportCancelled { export_id: 1 }).reduce(Action::Export(ExportKind::EventsCsv));
    assert_eq!(s.export.as_ref().map(|r| (r.export_id, r.kind)), Some((2, ExportKind::EventsCsv)));
}
