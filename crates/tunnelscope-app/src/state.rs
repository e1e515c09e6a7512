//! App state and its reducer: pure, unit-tested natively.

use std::rc::Rc;

use yew::Reducible;

use tunnelscope_core::views::EventDetail;

use crate::protocol::{View, ViewRequest};

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

/// Bytes and files read so far.
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
}

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// Load phase.
    pub phase: LoadPhase,
    /// Loads sent but not finished.
    pub loads_in_flight: u32,
    /// Progress of the current load(s).
    pub progress: Option<Progress>,
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
}

/// What can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A load was sent to the engine.
    StartLoad,
    /// The engine read more.
    Progressed(Progress),
    /// A load finished; the view with this generation completes it.
    Loaded {
        /// The generation requested right after the load.
        generation: u64,
    },
    /// A new view was requested.
    RequestView(ViewRequest),
    /// An event was selected (or the selection cleared).
    Select(Option<String>),
    /// The selected event's detail arrived.
    DetailArrived(Option<Rc<EventDetail>>),
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
    /// The dataset was emptied.
    Cleared,
    /// A request failed.
    Failed(String),
    /// The engine stopped: loading ends with the error shown.
    EngineStopped(String),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::StartLoad => {
                s.phase = LoadPhase::Loading;
                s.loads_in_flight += 1;
                s.progress = None;
                s.error = None;
            }
            Action::Progressed(p) => s.progress = Some(p),
            Action::Loaded { generation } => {
                s.loads_in_flight = s.loads_in_flight.saturating_sub(1);
                s.awaiting = Some(generation);
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
            }
            Action::DetailArrived(detail) => {
                // Only the detail of the current selection is shown.
                if detail.as_ref().map(|d| &d.row.event_id) != s.selected.as_ref() {
                    return self;
                }
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
                if s.loads_in_flight == 0 && s.awaiting.is_some_and(|g| view.generation >= g) {
                    s.phase = LoadPhase::Done;
                    s.awaiting = None;
                    s.progress = None;
                }
                s.view = view;
            }
            Action::Cleared => {
                s.phase = LoadPhase::Idle;
                s.view = Rc::new(View::default());
                s.progress = None;
                s.awaiting = None;
                s.selected = None;
                s.detail = None;
            }
            Action::Failed(message) => s.error = Some(message),
            Action::EngineStopped(message) => {
                s.error = Some(format!(
                    "The engine stopped ({message}), probably out of memory: the browser holds at most 4 GB per worker. \
                     Reload the page to start again, and load less at once (`tunnelscope extract` keeps only the EICE-related events)."
                ));
                s.loads_in_flight = 0;
                s.awaiting = None;
                s.progress = None;
                s.phase = LoadPhase::Done;
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

    fn run(actions: Vec<Action>) -> Rc<AppState> {
        actions.into_iter().fold(Rc::new(AppState::default()), |s, a| s.reduce(a))
    }

    #[test]
    fn done_only_when_the_view_after_the_load_arrives() {
        let s = run(vec![Action::StartLoad, Action::Loaded { generation: 1 }]);
        assert_eq!(s.phase, LoadPhase::Loading);
        let s = s.reduce(req(1));
        let s = s.reduce(Action::ViewArrived(view(1, 5)));
        assert_eq!(s.phase, LoadPhase::Done);
        assert_eq!(s.view.n_events, 5);
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
        let s = run(vec![
            Action::StartLoad,
            Action::StartLoad,
            Action::Loaded { generation: 1 },
            req(1),
            Action::ViewArrived(view(1, 1)),
        ]);
        assert_eq!(s.phase, LoadPhase::Loading, "one load still in flight");
        let s = s.reduce(Action::Loaded { generation: 2 });
        let s = s.reduce(req(2));
        let s = s.reduce(Action::ViewArrived(view(2, 2)));
        assert_eq!(s.phase, LoadPhase::Done);
    }

    #[test]
    fn a_stopped_engine_ends_the_load_with_an_error() {
        let s = run(vec![Action::StartLoad, Action::EngineStopped("unreachable".into())]);
        assert_eq!(s.phase, LoadPhase::Done);
        assert!(s.error.as_deref().is_some_and(|e| e.contains("unreachable")));
    }

    #[test]
    fn details_only_for_the_current_selection() {
        let s = run(vec![Action::Select(Some("b".into()))]);
        let mut detail = EventDetail::default();
        detail.row.event_id = "a".into();
        let s2 = Rc::clone(&s).reduce(Action::DetailArrived(Some(Rc::new(detail.clone()))));
        assert!(s2.detail.is_none());
        detail.row.event_id = "b".into();
        let s3 = s2.reduce(Action::DetailArrived(Some(Rc::new(detail))));
        assert!(s3.detail.is_some());
    }
}
