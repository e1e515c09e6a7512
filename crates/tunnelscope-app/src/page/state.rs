//! App state and its reducer: pure, unit-tested natively.

use std::rc::Rc;

use yew::Reducible;

use tunnelscope_core::views::EventDetail;

use crate::protocol::{ExportBody, ExportKind, View, ViewRequest};

/// Where loading stands (`data-state` of `load-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadPhase {
    /// Nothing loaded yet.
    #[default]
    Idle,
    /// Files are being read, or the view that completes a load has not arrived.
    Loading,
    /// Every number on screen is final.
    Done,
}

impl LoadPhase {
    /// The `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Loading => "loading",
            Self::Done => "done",
        }
    }
}

/// Tunnel rows added to the screen per task: creating a whole window of rows in one task
/// would block the page for over 100 ms (each row is a dozen elements).
pub const ROW_STEP: usize = 25;

/// Sections mounted one per task when data first appears, and brought up to date one per task
/// when a view arrives while loading: 1 the overview and exports, 2 the timeline and endpoint
/// cards, 3 the endpoint changes, 4 the event table; then the tunnel table (its rows
/// [`ROW_STEP`] a task). At 2,000,000 events a whole page rendered in one task took 60-200 ms.
pub const SECTIONS: u8 = 4;

/// Where the tunnel table's older view is kept in [`AppState::lagging`] (after the sections').
const TUNNEL_STAGE: usize = SECTIONS as usize;

/// Bytes, files and records read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: usize,
    /// Files in the load.
    pub files_total: usize,
    /// Bytes read.
    pub bytes_done: u64,
    /// Bytes in the load.
    pub bytes_total: u64,
    /// Records read (finished files plus the current one so far).
    pub records_done: u64,
}

/// The loads since loading last started from a finished state: what the progress bar sums.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadBatch {
    /// When the first load of the batch was sent (ms, page clock).
    pub started_ms: f64,
    /// When the latest progress arrived (ms, page clock).
    pub now_ms: f64,
    /// Each load of the batch and its latest progress (finished loads keep their last one).
    pub loads: Vec<(u64, Progress)>,
}

/// What the progress bar shows: the batch's counts summed, with the time they took.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProgressSummary {
    /// Counts over every load of the batch.
    pub progress: Progress,
    /// Time since the batch started, as of the latest progress (ms).
    pub elapsed_ms: f64,
}

impl ProgressSummary {
    /// Least time measured before a rate (and a time left) is shown: earlier ones are noise.
    pub const MIN_ELAPSED_MS: f64 = 300.0;

    /// The fraction of bytes read (0 when there are no bytes).
    pub fn fraction(&self) -> f64 {
        let p = self.progress;
        if p.bytes_total == 0 { 0.0 } else { (p.bytes_done as f64 / p.bytes_total as f64).clamp(0.0, 1.0) }
    }

    /// Bytes read per second since the batch started, once measurable.
    pub fn bytes_per_sec(&self) -> Option<f64> {
        (self.elapsed_ms >= Self::MIN_ELAPSED_MS && self.progress.bytes_done > 0)
            .then(|| self.progress.bytes_done as f64 * 1000.0 / self.elapsed_ms)
    }

    /// Seconds left at the rate so far; `None` before the rate is known and once every byte is
    /// read (what remains then is finishing the last file, which bytes cannot tell).
    pub fn secs_left(&self) -> Option<f64> {
        let p = self.progress;
        if p.bytes_done >= p.bytes_total {
            return None;
        }
        self.bytes_per_sec().map(|rate| (p.bytes_total - p.bytes_done) as f64 / rate)
    }
}

impl LoadBatch {
    /// The summed counts.
    pub fn summary(&self) -> ProgressSummary {
        let progress = self.loads.iter().fold(Progress::default(), |a, (_, p)| Progress {
            files_done: a.files_done + p.files_done,
            files_total: a.files_total + p.files_total,
            bytes_done: a.bytes_done + p.bytes_done,
            bytes_total: a.bytes_total + p.bytes_total,
            records_done: a.records_done + p.records_done,
        });
        ProgressSummary { progress, elapsed_ms: (self.now_ms - self.started_ms).max(0.0) }
    }
}

/// An export the engine is making (one at a time).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRun {
    /// The export.
    pub export_id: u64,
    /// What it holds.
    pub kind: ExportKind,
    /// Rows (records) done, of `total`.
    pub done: u64,
    /// Rows (records) in the export.
    pub total: u64,
    /// The engine has started it (it waits while a load runs).
    pub started: bool,
    /// Cancel was pressed: it ends without a download.
    pub cancelling: bool,
}

/// A finished export, to hand to the browser as a download.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    /// The export.
    pub export_id: u64,
    /// File name to save as.
    pub file_name: String,
    /// MIME type.
    pub mime: String,
    /// The file's text (on the page, its bytes as the worker sent them).
    pub body: ExportBody,
}

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// Load phase.
    pub phase: LoadPhase,
    /// Loads sent but not finished (their IDs).
    pub loads: Vec<u64>,
    /// Progress of the current load(s), while loading.
    pub batch: Option<LoadBatch>,
    /// Cancel was pressed and the loads have not all ended yet.
    pub cancelling: bool,
    /// A load of the latest batch was cancelled (`data-cancelled` once done).
    pub cancelled: bool,
    /// Tunnel rows of the view on screen: grows by [`ROW_STEP`] per task up to all of them.
    pub rows_shown: usize,
    /// Sections of the data views mounted so far (up to [`SECTIONS`]; 0 while nothing is loaded).
    pub sections_shown: u8,
    /// The older view a mounted section (1..=[`SECTIONS`] at 0..), then the tunnel table, still
    /// renders until its turn to show the latest one comes; `None`: it shows the latest.
    pub lagging: [Option<Rc<View>>; SECTIONS as usize + 1],
    /// Counts render steps (section mounted or updated, rows added), so the page knows when to
    /// ask for the next one.
    pub steps: u64,
    /// The view that completes the load has arrived; done once all its rows are shown.
    pub done_pending: bool,
    /// The view generation that completes the latest finished load.
    pub awaiting: Option<u64>,
    /// The newest view generation requested.
    pub generation: u64,
    /// The newest view request (query, window, grouping, table settings).
    pub request: ViewRequest,
    /// The latest view.
    pub view: Rc<View>,
    /// The selected event.
    pub selected: Option<String>,
    /// The selected event's detail, once it arrived.
    pub detail: Option<Rc<EventDetail>>,
    /// The selected event is not in the loaded data (a link made for other files).
    pub detail_missing: bool,
    /// Show times in the browser's local zone instead of UTC.
    pub local_time: bool,
    /// Dark theme.
    pub dark: bool,
    /// The keyboard-shortcut help is open.
    pub show_help: bool,
    /// A notice (a link made for other files, …).
    pub notice: Option<String>,
    /// A whole-request failure to show.
    pub error: Option<String>,
    /// The export in progress.
    pub export: Option<ExportRun>,
    /// A finished export not yet handed to the browser.
    pub download: Option<Rc<ExportFile>>,
}

/// What can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A load was sent to the engine.
    StartLoad {
        /// The load.
        load_id: u64,
        /// Files sent.
        files_total: usize,
        /// Their bytes.
        bytes_total: u64,
        /// When (ms, page clock).
        now_ms: f64,
    },
    /// The engine read more.
    Progressed {
        /// The load.
        load_id: u64,
        /// Its counts so far.
        progress: Progress,
        /// When it arrived (ms, page clock).
        now_ms: f64,
    },
    /// Cancel was pressed (the engine has been asked to stop every load in flight).
    CancelRequested,
    /// A load finished or was cancelled; the view with this generation completes it.
    Loaded {
        /// The load.
        load_id: u64,
        /// The generation requested right after the load.
        generation: u64,
        /// The load was cancelled (files read before it stay loaded).
        cancelled: bool,
    },
    /// A new view was requested.
    RequestView(ViewRequest),
    /// An event was selected (or the selection cleared).
    Select(Option<String>),
    /// The detail of an event arrived (`None`: no loaded event has that ID).
    DetailArrived(String, Option<Rc<EventDetail>>),
    /// Switch between UTC and local time.
    ToggleLocalTime,
    /// Switch between light and dark.
    SetDark(bool),
    /// Open or close the shortcut help.
    ToggleHelp,
    /// Show or clear a notice.
    Notice(Option<String>),
    /// A view arrived.
    ViewArrived(Rc<View>),
    /// Mount the next section, or show the next [`ROW_STEP`] tunnel rows (dispatched one task
    /// after a render that left some out).
    RevealMore,
    /// The dataset was emptied.
    Cleared,
    /// A request failed.
    Failed(String),
    /// The engine stopped: loading ends with the error shown.
    EngineStopped(String),
    /// An export was asked for.
    ExportStarted {
        /// The export.
        export_id: u64,
        /// What it holds.
        kind: ExportKind,
    },
    /// An export got further.
    ExportProgressed {
        /// The export.
        export_id: u64,
        /// Rows done.
        done: u64,
        /// Rows in all.
        total: u64,
    },
    /// Cancel was pressed on the export (the engine has been asked to stop it).
    ExportCancelRequested,
    /// The engine stopped an export.
    ExportCancelled {
        /// The export.
        export_id: u64,
    },
    /// An export's file arrived.
    ExportArrived(Rc<ExportFile>),
    /// The page handed this export's file to the browser.
    Downloaded {
        /// The export.
        export_id: u64,
    },
}

impl AppState {
    fn sections_wanted(&self) -> u8 {
        if self.view.n_events_total > 0 { SECTIONS } else { 0 }
    }

    /// Every section and row of the view is on screen.
    pub fn fully_shown(&self) -> bool {
        self.next_stage().is_none() && self.rows_shown >= self.view.tunnels.len()
    }

    /// The next section to mount or bring up to date (its index in [`Self::lagging`]), else the
    /// tunnel table's if it shows an older view.
    fn next_stage(&self) -> Option<usize> {
        (1..=self.sections_wanted())
            .map(|n| usize::from(n - 1))
            .find(|&i| i >= usize::from(self.sections_shown) || self.lagging[i].is_some())
            .or_else(|| self.lagging[TUNNEL_STAGE].is_some().then_some(TUNNEL_STAGE))
    }

    /// The view section `n` (1..=[`SECTIONS`]) renders.
    pub fn section_view(&self, n: u8) -> &Rc<View> {
        self.lagging[usize::from(n.clamp(1, SECTIONS) - 1)].as_ref().unwrap_or(&self.view)
    }

    /// The view the tunnel table renders.
    pub fn tunnel_view(&self) -> &Rc<View> {
        self.lagging[TUNNEL_STAGE].as_ref().unwrap_or(&self.view)
    }

    /// Shows the latest view in the tunnel table: rows already on screen are patched in place
    /// (as many as the new view has); more are added in steps.
    fn update_tunnel_table(&mut self) {
        self.rows_shown = self.rows_shown.min(self.view.tunnels.len());
        self.lagging[TUNNEL_STAGE] = None;
    }

    /// Whether data section `n` (1..=[`SECTIONS`]) is mounted.
    pub fn section_shown(&self, n: u8) -> bool {
        self.view.n_events_total > 0 && self.sections_shown >= n
    }

    /// `done` once the view that completes the load is wholly on screen.
    fn finish_if_shown(&mut self) {
        if self.done_pending && self.fully_shown() {
            self.done_pending = false;
            self.phase = LoadPhase::Done;
            self.batch = None;
            self.cancelling = false;
        }
    }

    /// The tunnel rows to render now.
    pub fn shown_tunnels(&self) -> &[tunnelscope_core::dataset::TunnelRow] {
        let tunnels = &self.tunnel_view().tunnels;
        &tunnels[..self.rows_shown.min(tunnels.len())]
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::StartLoad { load_id, files_total, bytes_total, now_ms } => {
                if s.phase != LoadPhase::Loading || s.batch.is_none() {
                    // A new batch: the bar and the cancelled flag start afresh.
                    s.batch = Some(LoadBatch { started_ms: now_ms, now_ms, loads: Vec::new() });
                    s.cancelled = false;
                    s.cancelling = false;
                }
                s.phase = LoadPhase::Loading;
                s.done_pending = false;
                s.loads.push(load_id);
                let initial = Progress { files_total, bytes_total, ..Progress::default() };
                if let Some(batch) = &mut s.batch {
                    batch.loads.push((load_id, initial));
                }
                s.error = None;
            }
            Action::Progressed { load_id, progress, now_ms } => {
                let Some(batch) = &mut s.batch else { return self };
                let Some(entry) = batch.loads.iter_mut().find(|(id, _)| *id == load_id) else { return self };
                entry.1 = progress;
                batch.now_ms = batch.now_ms.max(now_ms);
            }
            Action::CancelRequested => {
                if s.loads.is_empty() {
                    return self;
                }
                s.cancelling = true;
            }
            Action::Loaded { load_id, generation, cancelled } => {
                let Some(pos) = s.loads.iter().position(|id| *id == load_id) else {
                    // A load this state no longer waits for (the dataset was cleared since).
                    return self;
                };
                s.loads.remove(pos);
                if let Some(entry) = s.batch.as_mut().and_then(|b| b.loads.iter_mut().find(|(id, _)| *id == load_id)) {
                    if !cancelled {
                        // Complete, also for loads that send no progress (the sample).
                        entry.1.files_done = entry.1.files_total;
                        entry.1.bytes_done = entry.1.bytes_total;
                    }
                }
                s.awaiting = Some(generation);
                s.cancelled |= cancelled;
                if s.loads.is_empty() {
                    s.cancelling = false;
                }
            }
            Action::RequestView(req) => {
                s.generation = s.generation.max(req.generation);
                s.request = req;
            }
            Action::Select(id) => {
                if s.selected == id {
                    return self;
                }
                s.selected = id;
                s.detail = None;
                s.detail_missing = false;
            }
            Action::DetailArrived(event_id, detail) => {
                // Only the detail of the current selection is shown.
                if s.selected.as_ref() != Some(&event_id) {
                    return self;
                }
                s.detail_missing = detail.is_none();
                s.detail = detail;
            }
            Action::ToggleLocalTime => s.local_time = !s.local_time,
            Action::SetDark(dark) => s.dark = dark,
            Action::ToggleHelp => s.show_help = !s.show_help,
            Action::Notice(n) => s.notice = n,
            Action::ViewArrived(view) => {
                if view.generation < s.generation {
                    // A newer view was requested: this one is stale.
                    return self;
                }
                // Views during a load (partial results) show, but only the view asked for after
                // the last load ends it.
                if view.n_events_total == 0 {
                    s.sections_shown = 0;
                    s.lagging = Default::default();
                }
                if s.loads.is_empty() && s.awaiting.is_some_and(|g| view.generation >= g) {
                    s.awaiting = None;
                    s.done_pending = true;
                }
                let older = std::mem::replace(&mut s.view, view);
                s.steps += 1;
                if s.phase == LoadPhase::Loading {
                    // While loading, the counters show it now and the mounted sections follow a
                    // task each (`RevealMore`), so no task renders the whole page. A tunnel table
                    // that shows no rows, or a view without data, costs nothing to show now.
                    for i in 0..usize::from(s.sections_shown) {
                        s.lagging[i].get_or_insert_with(|| Rc::clone(&older));
                    }
                    if s.rows_shown.min(s.view.tunnels.len()) == 0 || s.view.n_events_total == 0 {
                        s.update_tunnel_table();
                    } else {
                        s.lagging[TUNNEL_STAGE].get_or_insert(older);
                    }
                } else {
                    // A filter, a page or a sort once loaded: everything mounted at once (a task
                    // of ~30-50 ms at 1,000,000 events); split into tasks, each waited for a frame
                    // and a re-filter took up to ~140 ms instead of ~70.
                    s.lagging = Default::default();
                    s.update_tunnel_table();
                }
                s.finish_if_shown();
            }
            Action::RevealMore => {
                if s.fully_shown() {
                    return self;
                }
                match s.next_stage() {
                    Some(TUNNEL_STAGE) => s.update_tunnel_table(),
                    Some(i) => {
                        s.sections_shown = s.sections_shown.max(i as u8 + 1);
                        s.lagging[i] = None;
                    }
                    None => s.rows_shown = (s.rows_shown + ROW_STEP).min(s.view.tunnels.len()),
                }
                s.steps += 1;
                s.finish_if_shown();
            }
            Action::Cleared => {
                s.phase = LoadPhase::Idle;
                s.view = Rc::new(View::default());
                s.loads.clear();
                s.batch = None;
                s.cancelling = false;
                s.cancelled = false;
                s.awaiting = None;
                s.done_pending = false;
                s.rows_shown = 0;
                s.sections_shown = 0;
                s.lagging = Default::default();
                s.steps += 1;
                s.selected = None;
                s.detail = None;
                s.detail_missing = false;
                // The engine stops the export too.
                s.export = None;
                s.download = None;
            }
            Action::Failed(message) => s.error = Some(message),
            Action::EngineStopped(message) => {
                s.error = Some(format!(
                    "The engine stopped ({message}), probably out of memory: the browser holds at most 4 GB per worker. \
                     Everything loaded was lost. The next load starts a fresh engine: load less at once \
                     (`tunnelscope extract` keeps only the EICE-related events)."
                ));
                // The fresh engine holds nothing: show nothing rather than what was lost.
                s.view = Rc::new(View::default());
                s.loads.clear();
                s.awaiting = None;
                s.done_pending = false;
                s.batch = None;
                s.cancelling = false;
                s.phase = LoadPhase::Done;
                s.export = None;
            }
            Action::ExportStarted { export_id, kind } => {
                // The buttons are off while one runs; an earlier one's file is not wanted now.
                s.export = Some(ExportRun { export_id, kind, done: 0, total: 0, started: false, cancelling: false });
            }
            Action::ExportProgressed { export_id, done, total } => {
                let Some(run) = s.export.as_mut().filter(|r| r.export_id == export_id) else { return self };
                run.done = done;
                run.total = total;
                run.started = true;
            }
            Action::ExportCancelRequested => {
                let Some(run) = s.export.as_mut().filter(|r| !r.cancelling) else { return self };
                run.cancelling = true;
            }
            Action::ExportCancelled { export_id } => {
                if s.export.as_ref().is_none_or(|r| r.export_id != export_id) {
                    return self;
                }
                s.export = None;
            }
            Action::ExportArrived(file) => {
                let Some(run) = s.export.take_if(|r| r.export_id == file.export_id) else { return self };
                // A file that finished while Cancel was on its way is dropped: no download.
                if !run.cancelling {
                    s.download = Some(file);
                }
            }
            Action::Downloaded { export_id } => {
                if s.download.as_ref().is_none_or(|f| f.export_id != export_id) {
                    return self;
                }
                s.download = None;
            }
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(generation: u64, n_events: u64) -> Rc<View> {
        Rc::new(View { generation, n_events, ..View::default() })
    }

    fn req(generation: u64) -> Action {
        Action::RequestView(ViewRequest { generation, ..ViewRequest::default() })
    }

    fn start(load_id: u64) -> Action {
        Action::StartLoad { load_id, files_total: 2, bytes_total: 1000, now_ms: 0.0 }
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
            Action::RequestView(ViewRequest { generation, query: query.to_owned(), ..ViewRequest::default() })
        };
        let answer = |generation: u64, n_events: u64, query_error: Option<&str>| {
            Action::ViewArrived(Rc::new(View {
                generation,
                n_events,
                n_events_total: 9,
                query_error: query_error.map(str::to_owned),
                ..View::default()
            }))
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
        Rc::new(View { generation, tunnels, ..View::default() })
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
        let data = |generation| Rc::new(View { generation, n_events_total: 5, ..View::default() });
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
            v.n_events_total = 100;
            v.n_events = 100 - generation;
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
}
