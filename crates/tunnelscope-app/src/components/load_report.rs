//! LoadReport: every file with its status and reason, and its record counts.

use tunnelscope_core::{FileReport, FileStatus};
use yew::prelude::*;

/// Props of [`LoadReport`].
#[derive(Properties, PartialEq)]
pub struct LoadReportProps {
    /// One report per file.
    pub files: Vec<FileReport>,
}

fn row(f: &FileReport) -> Html {
    let status = f.status.as_str();
    let counts = format!("{} loaded, {} duplicates, {} invalid", f.n_loaded, f.n_duplicates, f.n_invalid);
    // The same accounting as `tunnelscope stats --json`'s `files_detail`, as attributes.
    let d = f.detail();
    html! {
        <li class={classes!("load-report__file", format!("load-report__file--{status}"))}
            data-testid="file-status" data-status={status} data-file={d.file} data-reason={d.reason}
            data-shape={d.shape.map_or("", |s| s.as_str())} data-loaded={d.loaded.to_string()}
            data-duplicates={d.duplicates.to_string()} data-invalid={d.invalid.to_string()}>
            <span class="load-report__status">{status}</span>
            <span class="load-report__name mono">{f.name.clone()}</span>
            if f.reason.is_empty() {
                <span class="load-report__counts">{counts}</span>
            } else {
                <span class="load-report__reason">{f.reason.clone()}</span>
            }
            if !f.invalid.is_empty() {
                <ul class="load-report__invalid">
                    {for f.invalid.iter().map(|i| html! { <li>{format!("{}: {}", i.position, i.reason)}</li> })}
                </ul>
            }
        </li>
    }
}

/// Files listed before "show all" (thousands of read files would bury the problems).
const FIRST_FILES: usize = 200;

/// The load report: problems first, then read files.
#[function_component(LoadReport)]
pub fn load_report(props: &LoadReportProps) -> Html {
    let show_all = use_state(|| false);
    if props.files.is_empty() {
        return html! {};
    }
    let count = |s: FileStatus| props.files.iter().filter(|f| f.status == s).count();
    let mut order: Vec<&FileReport> = props.files.iter().collect();
    // Rejected, then skipped, then read; stable within each, so the load order is kept.
    order.sort_by_key(|f| match f.status {
        FileStatus::Rejected => 0,
        FileStatus::Skipped => 1,
        FileStatus::Read => 2,
    });
    let shown = if *show_all { order.len() } else { order.len().min(FIRST_FILES) };
    let on_all = {
        let show_all = show_all.clone();
        Callback::from(move |_: MouseEvent| show_all.set(true))
    };
    html! {
        <details class="load-report" data-testid="load-report" open=true>
            <summary>{format!("Load report: {}, {} read, {} skipped, {} rejected",
                crate::fmt::count(props.files.len() as u64, "file", "files"), count(FileStatus::Read), count(FileStatus::Skipped), count(FileStatus::Rejected))}</summary>
            <ul>{for order.iter().take(shown).map(|f| row(f))}</ul>
            if shown < order.len() {
                <button data-testid="load-report-all" onclick={on_all}>{format!("show all {} files", order.len())}</button>
            }
        </details>
    }
}
