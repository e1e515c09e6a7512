//! StatusBar: the load state, progress and whole-request errors.

use yew::prelude::*;

use crate::state::{LoadPhase, Progress};

/// Props of [`StatusBar`].
#[derive(Properties, PartialEq)]
pub struct StatusBarProps {
    /// Load phase.
    pub phase: LoadPhase,
    /// Progress, while loading.
    pub progress: Option<Progress>,
    /// Events loaded in all.
    pub n_events_total: u64,
    /// Files in the dataset.
    pub n_files: usize,
    /// An error to show.
    pub error: Option<String>,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// The status bar.
#[function_component(StatusBar)]
pub fn status_bar(props: &StatusBarProps) -> Html {
    let text = match (props.phase, props.progress) {
        (LoadPhase::Idle, _) => "No data loaded. Drop files or load the sample.".to_owned(),
        (LoadPhase::Loading, Some(p)) => format!(
            "Loading… {} of {} files, {} of {}",
            p.files_done,
            p.files_total,
            mb(p.bytes_done),
            mb(p.bytes_total)
        ),
        (LoadPhase::Loading, None) => "Loading…".to_owned(),
        (LoadPhase::Done, _) => format!("{} events loaded from {} files", props.n_events_total, props.n_files),
    };
    let fraction = props.progress.filter(|p| p.bytes_total > 0).map(|p| p.bytes_done as f64 / p.bytes_total as f64);
    html! {
        <div class="status-bar" data-testid="load-status" data-state={props.phase.as_str()}>
            <span class="status-bar__text">{text}</span>
            if let Some(f) = fraction {
                <progress class="status-bar__progress" max="1" value={format!("{f:.3}")} />
            }
            if let Some(err) = &props.error {
                <span class="status-bar__error" role="alert">{err.clone()}</span>
            }
        </div>
    }
}
