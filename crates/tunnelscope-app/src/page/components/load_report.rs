//! LoadReport: every file with its status and reason, and its record counts.

use tunnelscope_core::i18n::Texts;
use tunnelscope_core::{FileReport, FileStatus};
use yew::prelude::*;

use crate::page::i18n::use_texts;

/// Props of [`LoadReport`].
#[derive(Properties, PartialEq)]
pub struct LoadReportProps {
    /// One report per file.
    pub files: Vec<FileReport>,
}

/// What a file's line says, as text made visible (`crate::page::fmt::visible`): a file name or a
/// reason can carry bidi overrides and escape characters, as the tables' cells can.
#[derive(Debug, PartialEq)]
struct RowText {
    name: String,
    /// The reason when skipped or rejected, else the counts.
    summary: String,
    /// True when `summary` is a reason.
    is_reason: bool,
    /// `position: reason` of each invalid record kept.
    invalid: Vec<String>,
    /// Notes on a read file (trailing bytes, out-of-range tunnel values).
    notes: Vec<String>,
}

fn row_text(f: &FileReport, t: &Texts) -> RowText {
    let shown = |s: &str| crate::page::fmt::visible(s).into_owned();
    let is_reason = !f.reason.is_empty();
    RowText {
        name: shown(&f.name),
        summary: if is_reason {
            shown(&(t.report_text)(&f.reason))
        } else {
            (t.file_counts)(f.n_loaded, f.n_duplicates, f.n_invalid)
        },
        is_reason,
        invalid: f.invalid.iter().map(|i| shown(&format!("{}: {}", i.position, (t.report_text)(&i.reason)))).collect(),
        notes: f.all_notes().iter().map(|n| shown(&(t.report_text)(n))).collect(),
    }
}

fn row(f: &FileReport, t: &Texts) -> Html {
    let status = f.status.as_str();
    let text = row_text(f, t);
    // The same accounting as `tunnelscope stats --json`'s `files_detail`, as attributes.
    let d = f.detail();
    html! {
        <li class={classes!("load-report__file", format!("load-report__file--{status}"))}
            data-testid="file-status" data-status={status} data-file={d.file} data-reason={d.reason}
            data-shape={d.shape.map_or("", |s| s.as_str())} data-loaded={d.loaded.to_string()}
            data-duplicates={d.duplicates.to_string()} data-invalid={d.invalid.to_string()}
            data-id-collisions={d.id_collisions.to_string()}>
            <span class="load-report__status">{(t.file_status)(status)}</span>
            <span class="load-report__name mono">{text.name}</span>
            if text.is_reason {
                <span class="load-report__reason">{text.summary}</span>
            } else {
                <span class="load-report__counts">{text.summary}</span>
            }
            if !text.notes.is_empty() {
                <ul class="load-report__notes">
                    {for text.notes.into_iter().map(|n| html! { <li data-testid="file-note">{n}</li> })}
                </ul>
            }
            if !text.invalid.is_empty() {
                <ul class="load-report__invalid">
                    {for text.invalid.into_iter().map(|i| html! { <li>{i}</li> })}
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
    let t = use_texts();
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
            <summary>{(t.load_report)(&t.count(props.files.len() as u64, t.n_files), count(FileStatus::Read), count(FileStatus::Skipped), count(FileStatus::Rejected))}</summary>
            <ul>{for order.iter().take(shown).map(|f| row(f, t))}</ul>
            if shown < order.len() {
                <button data-testid="load-report-all" onclick={on_all}>{(t.show_all_files)(order.len())}</button>
            }
        </details>
    }
}

#[cfg(test)]
mod tests {
    use tunnelscope_core::Dataset;

    use super::*;

    #[test]
    fn names_reasons_and_notes_show_control_and_bidi_characters_visibly() {
        let mut ds = Dataset::new();
        ds.add_file("evil\u{202e}nosj.txt\u{1b}[31m", "{\"x\":\"\u{202e}\"}".as_bytes());
        let doc = concat!(
            r#"{"Records":[{"eventTime":"2026-10-01T00:00:00Z","eventName":"OpenTunnel","#,
            r#""eventSource":"ec2-instance-connect.amazonaws.com","eventID":"e"#,
            "\u{202e}",
            r#"1","requestParameters":{"remotePort":99999}},{"eventName":"X","eventTime":"bad"#,
            "\u{202e}",
            r#""}]}"#
        );
        ds.add_file("odd\u{202e}.json", doc.as_bytes());
        let en = tunnelscope_core::i18n::Lang::DEFAULT.texts();
        let rejected = row_text(&ds.files()[0], en);
        assert_eq!(rejected.name, "evil⟨U+202E⟩nosj.txt⟨U+001B⟩[31m");
        assert!(rejected.is_reason && !rejected.summary.is_empty(), "{rejected:?}");
        let read = row_text(&ds.files()[1], en);
        assert_eq!(read.name, "odd⟨U+202E⟩.json");
        assert_eq!(read.summary, "1 loaded, 0 duplicates, 1 invalid");
        assert_eq!(read.invalid.len(), 1);
        assert!(read.invalid[0].contains("bad⟨U+202E⟩") && !read.invalid[0].contains('\u{202e}'), "{read:?}");
        assert_eq!(read.notes.len(), 1);
        assert!(read.notes[0].contains("first event e⟨U+202E⟩1"), "{read:?}");
    }
}
