//! ExportProgress: an export in progress, how far it got ("n of m records") on a native
//! `<progress>` bar (no `style=` attribute: the CSP forbids them), and its Cancel button.

use yew::prelude::*;

use crate::page::state::ExportRun;
use crate::protocol::ExportKind;
use tunnelscope_core::i18n::{Lang, Texts};

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
    what_in(kind, Lang::DEFAULT.texts())
}

/// [`what`] in the language of `t`.
pub fn what_in(kind: ExportKind, t: &Texts) -> &'static str {
    (t.export_kind)(match kind {
        ExportKind::TunnelsCsv => "tunnels-csv",
        ExportKind::TunnelsJson => "tunnels-json",
        ExportKind::EventsCsv => "events-csv",
        ExportKind::EventsJson => "events-json",
        ExportKind::Records => "records",
        ExportKind::SessionsCsv => "sessions-csv",
        ExportKind::SessionsJson => "sessions-json",
        ExportKind::FindingsCsv => "findings-csv",
        ExportKind::FindingsJson => "findings-json",
    })
}

/// How far it got: `12,345 of 50,000 records`, or what it waits for.
pub fn progress_text(run: &ExportRun) -> String {
    progress_in(run, Lang::DEFAULT.texts())
}

/// [`progress_text`] in the language of `t`.
pub fn progress_in(run: &ExportRun, t: &Texts) -> String {
    if !run.started {
        return t.export_waiting.to_owned();
    }
    let noun = match run.kind {
        ExportKind::TunnelsCsv | ExportKind::TunnelsJson => "tunnels",
        ExportKind::EventsCsv | ExportKind::EventsJson => "events",
        ExportKind::Records => "records",
        ExportKind::SessionsCsv | ExportKind::SessionsJson => "sessions",
        ExportKind::FindingsCsv | ExportKind::FindingsJson => "findings",
    };
    (t.export_rows)(&t.num(run.done), &t.num(run.total), noun)
}

/// The export progress line.
#[function_component(ExportProgress)]
pub fn export_progress(props: &ExportProgressProps) -> Html {
    let r = &props.run;
    // Without a value a `<progress>` shows that work goes on without saying how far.
    let value = r.started.then(|| r.done.to_string());
    let t = crate::page::i18n::use_texts();
    html! {
        <div class="export-progress" data-testid="export-progress" data-done={r.done.to_string()}
            data-total={r.total.to_string()} role="status">
            <span>{(t.exporting)(what_in(r.kind, t))}</span>
            <progress class="export-progress__bar" max={r.total.max(1).to_string()} {value}
                aria-label={(t.export_of)(what_in(r.kind, t))} />
            <span class="export-progress__text">{progress_in(r, t)}</span>
            <button data-testid="export-cancel" onclick={props.on_cancel.clone()} disabled={r.cancelling}
                title={t.export_cancel_title}>
                {if r.cancelling { t.cancelling } else { t.cancel }}
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
