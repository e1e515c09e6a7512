//! StatusBar: the load state (`load-status`) and whole-request errors. The progress of a load
//! in progress is [`super::load_progress::LoadProgress`].

use yew::prelude::*;

use crate::page::fmt::count;
use crate::page::state::LoadPhase;

/// Props of [`StatusBar`].
#[derive(Properties, PartialEq)]
pub struct StatusBarProps {
    /// Load phase.
    pub phase: LoadPhase,
    /// The latest load was cancelled (shown once done, as `data-cancelled="true"`).
    #[prop_or_default]
    pub cancelled: bool,
    /// Events loaded in all.
    pub n_events_total: u64,
    /// Files in the dataset.
    pub n_files: usize,
    /// An error to show.
    pub error: Option<String>,
}

/// The status bar.
#[function_component(StatusBar)]
pub fn status_bar(props: &StatusBarProps) -> Html {
    let cancelled = props.cancelled && props.phase == LoadPhase::Done;
    let text = match props.phase {
        LoadPhase::Idle => "No data loaded. Drop files or load the sample.".to_owned(),
        LoadPhase::Loading => "Loading…".to_owned(),
        LoadPhase::Done if cancelled => format!(
            "Loading cancelled: {} loaded from {} (the files read before the cancel)",
            count(props.n_events_total, "event", "events"),
            count(props.n_files as u64, "file", "files")
        ),
        LoadPhase::Done => format!(
            "{} loaded from {}",
            count(props.n_events_total, "event", "events"),
            count(props.n_files as u64, "file", "files")
        ),
    };
    html! {
        <div class="status-bar" data-testid="load-status" data-state={props.phase.as_str()}
            data-cancelled={cancelled.then_some("true")}>
            <span class="status-bar__text">{text}</span>
            if let Some(err) = &props.error {
                <span class="status-bar__error" role="alert">{err.clone()}</span>
            }
        </div>
    }
}
