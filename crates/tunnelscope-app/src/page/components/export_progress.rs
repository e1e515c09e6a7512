//! ExportProgress: an export in progress, how far it got ("n of m records") on a native
//! `<progress>` bar (no `style=` attribute: the CSP forbids them), and its Cancel button.

use yew::prelude::*;

use crate::page::fmt::thousands;
use crate::page::state::ExportRun;
use crate::protocol::ExportKind;

/// Props of [`ExportProgress`].
#[derive(Properties, PartialEq)]
pub struct ExportProgressProps {
    /// The export.
    pub run: ExportRun,
    /// Cancel pressed.
    pub on_cancel: Callback<MouseEvent>,
}

/// What an export holds, as the progress line names it.
pub fn what(kind: ExportKind) -> &'static str {
    match kind {
        ExportKind::TunnelsCsv => "tunnels as CSV",
        ExportKind::TunnelsJson => "tunnels as JSON",
        ExportKind::EventsCsv => "events as CSV",
        ExportKind::EventsJson => "events as JSON",
        ExportKind::Records => "raw records",
        ExportKind::SessionsCsv => "sessions as CSV",
        ExportKind::SessionsJson => "sessions as JSON",
        ExportKind::FindingsCsv => "findings as CSV",
        ExportKind::FindingsJson => "findings as JSON",
    }
}

/// How far it got: `12,345 of 50,000 records`, or what it waits for.
pub fn progress_text(run: &ExportRun) -> String {
    if !run.started {
        return "waiting for the engine (a load in progress ends first)…".to_owned();
    }
    let noun = match run.kind {
        ExportKind::TunnelsCsv | ExportKind::TunnelsJson => "tunnels",
        ExportKind::EventsCsv | ExportKind::EventsJson => "events",
        ExportKind::Records => "records",
        ExportKind::SessionsCsv | ExportKind::SessionsJson => "sessions",
        ExportKind::FindingsCsv | ExportKind::FindingsJson => "findings",
    };
    format!("{} of {} {noun}", thousands(run.done), thousands(run.total))
}

/// The export progress line.
#[function_component(ExportProgress)]
pub fn export_progress(props: &ExportProgressProps) -> Html {
    let r = &props.run;
    // Without a value a `<progress>` shows that work goes on without saying how far.
    let value = r.started.then(|| r.done.to_string());
    html! {
        <div class="export-progress" data-testid="export-progress" data-done={r.done.to_string()}
            data-total={r.total.to_string()} role="status">
            <span>{format!("Exporting {}:", what(r.kind))}</span>
            <progress class="export-progress__bar" max={r.total.max(1).to_string()} {value}
                aria-label={format!("Export of {}", what(r.kind))} />
            <span class="export-progress__text">{progress_text(r)}</span>
            <button data-testid="export-cancel" onclick={props.on_cancel.clone()} disabled={r.cancelling}
                title="Stop the export: nothing is downloaded">
                {if r.cancelling { "Cancelling…" } else { "Cancel" }}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_far_in_the_exports_own_words() {
        let mut run =
            ExportRun { export_id: 1, kind: ExportKind::Records, done: 0, total: 0, started: false, cancelling: false };
        assert!(progress_text(&run).starts_with("waiting"));
        run.started = true;
        run.done = 12_345;
        run.total = 50_000;
        assert_eq!(progress_text(&run), "12,345 of 50,000 records");
        run.kind = ExportKind::EventsCsv;
        assert_eq!(progress_text(&run), "12,345 of 50,000 events");
        run.kind = ExportKind::TunnelsJson;
        assert_eq!(progress_text(&run), "12,345 of 50,000 tunnels");
        assert_eq!(what(ExportKind::Records), "raw records");
    }
}
