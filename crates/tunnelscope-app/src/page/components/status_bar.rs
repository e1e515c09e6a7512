//! StatusBar: the load state (`load-status`) and whole-request errors. The progress of a load
//! in progress is [`super::load_progress::LoadProgress`].

use yew::prelude::*;

use crate::page::i18n::use_texts;

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
    let t = use_texts();
    let (events, files) = (t.count(props.n_events_total, t.n_events), t.count(props.n_files as u64, t.n_files));
    let text = match props.phase {
        LoadPhase::Idle => t.idle.to_owned(),
        LoadPhase::Loading => t.loading.to_owned(),
        LoadPhase::Done if cancelled => (t.cancelled_loaded)(&events, &files),
        LoadPhase::Done => (t.loaded_from)(&events, &files),
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
