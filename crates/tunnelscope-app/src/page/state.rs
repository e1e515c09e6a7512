//! The page's state and its reducer, the page's one source of truth: pure, unit-tested
//! natively.

use std::rc::Rc;

use yew::Reducible;

use tunnelscope_core::i18n::Lang;
use tunnelscope_core::query::{TimeWindow, format_term};
use tunnelscope_core::view_state::{ViewState, fingerprint};
use tunnelscope_core::views::page::SessionSort;
use tunnelscope_core::views::{EventDetail, Grouping, SortOrder};

pub use crate::page::partial_views::PartialViews;
pub use crate::page::progress::{LoadBatch, Progress, ProgressSummary};
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
    /// The page's language.
    pub lang: Lang,
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
    /// (name, size) of every file loaded, for the link's fingerprint.
    pub files: Rc<Vec<(String, u64)>>,
    /// What the link the page was opened with still has to restore.
    pub link: OpenedLink,
    /// Views asked for during a load.
    pub partial: PartialViews,
    /// Exports asked for so far (the latest one's ID).
    pub exports_asked: u64,
}

/// The fingerprint of files (name, size) for a link (empty when there are none).
pub fn files_fingerprint(files: &[(String, u64)]) -> String {
    if files.is_empty() {
        return String::new();
    }
    let pairs: Vec<(&str, u64)> = files.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    fingerprint(&pairs)
}

/// What the link the page was opened with says beyond the view request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpenedLink {
    /// The fingerprint of the files it was made for (checked after every load).
    pub fingerprint: Option<String>,
    /// The event it had selected, selected once the first load ends.
    pub selection: Option<String>,
}

/// A change of the view request (each asks for a new view).
#[derive(Debug, Clone, PartialEq)]
pub enum ViewChange {
    /// A query applied (Enter).
    Query(String),
    /// A `key:value` term added to the query.
    AddTerm(String, String),
    /// A brushed window (or none).
    Window(Option<TimeWindow>),
    /// Timeline lanes by.
    Grouping(Grouping),
    /// The tunnel and endpoint-change window's start.
    Page(usize),
    /// The event table's window start.
    EventPage(usize),
    /// Event table: EICE-related events only.
    EiceOnly(bool),
    /// Event table order.
    Order(SortOrder),
    /// Back or Forward: the entry's query, window, grouping, gap and findings settings.
    Restore(ViewState),
    /// The session gap, as typed (empty: the default).
    Gap(String),
    /// The findings settings, `RULE.PARAM=VALUE` each.
    Settings(Vec<String>),
    /// The sessions table's order.
    SessionSort(SessionSort),
    /// The sessions table's window start.
    SessionPage(usize),
    /// The findings list's window start.
    FindingPage(usize),
    /// The findings list newest first (else most severe first).
    FindingsNewest(bool),
    /// The first page of every table (a load ended).
    FirstPage,
    /// The same request again (partial results while loading).
    Refresh,
}

impl ViewChange {
    fn apply(self, r: &mut ViewRequest) {
        let first_page = |r: &mut ViewRequest| {
            r.offset = 0;
            r.event_offset = 0;
            r.session_offset = 0;
            r.finding_offset = 0;
        };
        match self {
            Self::Query(query) => {
                r.query = query;
                first_page(r);
            }
            Self::AddTerm(key, value) => {
                let term = format_term(&key, &value);
                r.query = if r.query.trim().is_empty() { term } else { format!("{} {term}", r.query.trim()) };
                first_page(r);
            }
            Self::Window(window) => {
                r.window = window;
                first_page(r);
            }
            Self::Grouping(g) => r.grouping = g,
            Self::Page(offset) => r.offset = offset,
            Self::EventPage(offset) => r.event_offset = offset,
            Self::EiceOnly(on) => {
                r.eice_only = on;
                r.event_offset = 0;
            }
            Self::Order(order) => {
                r.order = order;
                r.event_offset = 0;
            }
            Self::Restore(link) => {
                r.query = link.query;
                r.window = link.window;
                r.grouping = Grouping::parse(&link.grouping).unwrap_or_default();
                r.gap = link.gap;
                r.settings = link.settings;
                first_page(r);
            }
            Self::Gap(gap) => {
                r.gap = gap.trim().to_owned();
                r.session_offset = 0;
            }
            Self::Settings(settings) => {
                r.settings = settings;
                r.finding_offset = 0;
            }
            Self::SessionSort(order) => {
                r.session_sort = order;
                r.session_offset = 0;
            }
            Self::SessionPage(offset) => r.session_offset = offset,
            Self::FindingPage(offset) => r.finding_offset = offset,
            Self::FindingsNewest(on) => {
                r.findings_newest_first = on;
                r.finding_offset = 0;
            }
            Self::FirstPage => first_page(r),
            Self::Refresh => {}
        }
    }
}

/// What can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A load was sent to the engine.
    StartLoad {
        /// The load.
        load_id: u64,
        /// The files' names and sizes (for the link's fingerprint).
        files: Vec<(String, u64)>,
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
    /// The view request changes: a new generation of it is asked for.
    ChangeView(ViewChange),
    /// The engine's progress of a load arrived: [`Action::Progressed`], and a partial view
    /// asked for when one is due.
    ProgressArrived {
        /// The load.
        load_id: u64,
        /// Its counts so far.
        progress: Progress,
        /// When it arrived (ms, page clock).
        now_ms: f64,
    },
    /// The engine ended a load: the view of what is loaded is asked for, [`Action::Loaded`]
    /// waits for it, and the opened link's fingerprint and selection are checked.
    LoadEnded {
        /// The load.
        load_id: u64,
        /// It was cancelled.
        cancelled: bool,
    },
    /// Escape: closes the help, else the detail.
    Escape,
    /// An event was selected (or the selection cleared).
    Select(Option<String>),
    /// The detail of an event arrived (`None`: no loaded event has that ID).
    DetailArrived(String, Option<Rc<EventDetail>>),
    /// Switch between UTC and local time.
    ToggleLocalTime,
    /// Switch between light and dark.
    SetDark(bool),
    /// The language chosen with the switch.
    SetLang(Lang),
    /// Open or close the shortcut help.
    ToggleHelp,
    /// Show or clear a notice.
    Notice(Option<String>),
    /// A view arrived.
    ViewArrived(Rc<View>),
    /// A view arrived, received at `received_ms` (ms, page clock): [`Action::ViewArrived`], and
    /// the partial views' spacing learns its round trip.
    ViewReceived {
        /// The view.
        view: Rc<View>,
        /// When its message arrived.
        received_ms: f64,
    },
    /// Mount the next section, or show the next [`ROW_STEP`] tunnel rows (dispatched one task
    /// after a render that left some out).
    RevealMore,
    /// The dataset was emptied.
    Cleared,
    /// A request failed.
    Failed(String),
    /// The engine stopped: loading ends with the error shown.
    EngineStopped(String),
    /// An export of the view as requested now: [`Action::ExportStarted`] with the next ID.
    Export(ExportKind),
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
    /// The state of a page opened with `fragment` (the view it restores) in theme `dark`: its
    /// first view request is generation 1.
    pub fn opened_with(fragment: &str, dark: bool) -> Self {
        let link = ViewState::from_fragment(fragment);
        let mut request = ViewRequest::default();
        ViewChange::Restore(link.clone()).apply(&mut request);
        request.generation = 1;
        Self {
            dark,
            generation: 1,
            request,
            link: OpenedLink {
                fingerprint: (!link.fingerprint.is_empty()).then_some(link.fingerprint),
                selection: link.selected,
            },
            ..Self::default()
        }
    }

    /// The fingerprint of the files loaded (empty when none).
    pub fn fingerprint(&self) -> String {
        files_fingerprint(&self.files)
    }

    /// The request after `change`, as the next generation.
    fn next_request(&self, change: ViewChange) -> ViewRequest {
        let mut r = self.request.clone();
        change.apply(&mut r);
        r.generation = self.generation + 1;
        r
    }

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
            // What the page does in answer to the engine or a person, as the steps below.
            Action::ChangeView(change) => {
                let req = s.next_request(change);
                return Rc::new(s).reduce(Action::RequestView(req));
            }
            Action::ProgressArrived { load_id, progress, now_ms } => {
                let due = s.partial.progressed(load_id, progress.files_done, progress.files_total, now_ms);
                if due {
                    // Partial results: the same view, over the files finished so far.
                    s.partial.sent(s.generation + 1, now_ms);
                }
                let s = Rc::new(s).reduce(Action::Progressed { load_id, progress, now_ms });
                return if due { s.reduce(Action::ChangeView(ViewChange::Refresh)) } else { s };
            }
            Action::LoadEnded { load_id, cancelled } => {
                s.partial.load_ended(load_id);
                let req = s.next_request(ViewChange::FirstPage);
                let generation = req.generation;
                let notice = s.link.fingerprint.as_ref().map(|link_fp| {
                    let fp = s.fingerprint();
                    (fp != *link_fp).then(|| (s.lang.texts().link_other_files)(link_fp, &fp))
                });
                let restore = s.link.selection.take();
                let mut s = Rc::new(s).reduce(Action::RequestView(req)).reduce(Action::Loaded {
                    load_id,
                    generation,
                    cancelled,
                });
                if let Some(notice) = notice {
                    s = s.reduce(Action::Notice(notice));
                }
                if restore.is_some() {
                    s = s.reduce(Action::Select(restore));
                }
                return s;
            }
            Action::ViewReceived { view, received_ms } => {
                s.partial.view_arrived(view.generation, received_ms);
                return Rc::new(s).reduce(Action::ViewArrived(view));
            }
            Action::Export(kind) => {
                s.exports_asked += 1;
                let export_id = s.exports_asked;
                return Rc::new(s).reduce(Action::ExportStarted { export_id, kind });
            }
            Action::Escape => {
                let action = if s.show_help { Action::ToggleHelp } else { Action::Select(None) };
                return self.reduce(action);
            }
            Action::StartLoad { load_id, files, files_total, bytes_total, now_ms } => {
                Rc::make_mut(&mut s.files).extend(files);
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
            Action::SetLang(lang) => s.lang = lang,
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
                s.files = Rc::default();
                s.partial = PartialViews::default();
                s.generation += 1;
                s.request = ViewRequest { generation: s.generation, ..ViewRequest::default() };
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
                s.error = Some((s.lang.texts().engine_stopped)(&message));
                // The fresh engine holds nothing: show nothing rather than what was lost.
                s.files = Rc::default();
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
mod tests;
