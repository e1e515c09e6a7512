//! App state and its reducer: pure, unit-tested natively.

use std::rc::Rc;

use yew::Reducible;

use crate::protocol::View;

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
    /// The query of the newest view request.
    pub query: String,
    /// Row window offset of the newest view request.
    pub offset: usize,
    /// The latest view.
    pub view: Rc<View>,
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
    RequestView {
        /// Its generation.
        generation: u64,
        /// Its query.
        query: String,
        /// Its row offset.
        offset: usize,
    },
    /// A view arrived.
    ViewArrived(Rc<View>),
    /// The dataset was emptied.
    Cleared,
    /// A request failed.
    Failed(String),
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
            Action::RequestView { generation, query, offset } => {
                s.generation = s.generation.max(generation);
                s.query = query;
                s.offset = offset;
            }
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
            }
            Action::Failed(message) => s.error = Some(message),
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

    fn run(actions: Vec<Action>) -> Rc<AppState> {
        actions.into_iter().fold(Rc::new(AppState::default()), |s, a| s.reduce(a))
    }

    #[test]
    fn done_only_when_the_view_after_the_load_arrives() {
        let s = run(vec![Action::StartLoad, Action::Loaded { generation: 1 }]);
        assert_eq!(s.phase, LoadPhase::Loading);
        let s = s.reduce(Action::RequestView { generation: 1, query: String::new(), offset: 0 });
        let s = s.reduce(Action::ViewArrived(view(1, 5)));
        assert_eq!(s.phase, LoadPhase::Done);
        assert_eq!(s.view.n_events, 5);
    }

    #[test]
    fn stale_views_are_dropped() {
        let s = run(vec![
            Action::RequestView { generation: 2, query: "a".into(), offset: 0 },
            Action::RequestView { generation: 3, query: "b".into(), offset: 0 },
            Action::ViewArrived(view(2, 9)),
        ]);
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
            Action::RequestView { generation: 1, query: String::new(), offset: 0 },
            Action::ViewArrived(view(1, 1)),
        ]);
        assert_eq!(s.phase, LoadPhase::Loading, "one load still in flight");
        let s = s.reduce(Action::Loaded { generation: 2 });
        let s = s.reduce(Action::RequestView { generation: 2, query: String::new(), offset: 0 });
        let s = s.reduce(Action::ViewArrived(view(2, 2)));
        assert_eq!(s.phase, LoadPhase::Done);
    }
}
