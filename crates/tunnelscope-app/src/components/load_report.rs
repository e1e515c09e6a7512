//! LoadReport: every file with its status and reason, and its record counts.

use tunnelscope_core::FileReport;
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
    html! {
        <li class={classes!("load-report__file", format!("load-report__file--{status}"))}
            data-testid="file-status" data-status={status}>
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

/// The load report.
#[function_component(LoadReport)]
pub fn load_report(props: &LoadReportProps) -> Html {
    if props.files.is_empty() {
        return html! {};
    }
    html! {
        <details class="load-report" data-testid="load-report" open=true>
            <summary>{format!("Load report ({} files)", props.files.len())}</summary>
            <ul>{for props.files.iter().map(row)}</ul>
        </details>
    }
}
