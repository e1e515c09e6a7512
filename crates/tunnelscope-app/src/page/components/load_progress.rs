//! LoadProgress: the progress bar of a load in progress, what it has read so far, how fast,
//! the time left at that rate, and the Cancel button.

use yew::prelude::*;

use tunnelscope_core::i18n::{Lang, Texts};

#[cfg(test)]
use crate::page::fmt::thousands;
use crate::page::hooks::use_css;
use crate::page::state::ProgressSummary;

/// Props of [`LoadProgress`].
#[derive(Properties, PartialEq)]
pub struct LoadProgressProps {
    /// Counts of the loads in progress.
    pub summary: ProgressSummary,
    /// Cancel was pressed; the engine has not confirmed yet.
    pub cancelling: bool,
    /// Cancel pressed.
    pub on_cancel: Callback<MouseEvent>,
}

/// Megabytes with one decimal (decimal megabytes, as file managers show sizes).
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// A time left, rounded to what a person can use: `12 s`, `3 min 20 s`, `1 h 05 min`.
pub fn time_left(secs: f64) -> String {
    let s = secs.max(0.0).ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// The rate in MB/s, or a dash before it is measurable.
pub fn rate_text(summary: &ProgressSummary) -> String {
    match summary.bytes_per_sec() {
        Some(r) => format!("{:.1} MB/s", r / 1_000_000.0),
        None => "–".to_owned(),
    }
}

/// The time left, or what is happening instead.
pub fn eta_text(summary: &ProgressSummary) -> String {
    eta_in(summary, Lang::DEFAULT.texts())
}

/// [`eta_text`] in the language of `t`.
pub fn eta_in(summary: &ProgressSummary, t: &Texts) -> String {
    let p = summary.progress;
    if p.bytes_total > 0 && p.bytes_done >= p.bytes_total {
        return t.finishing.to_owned();
    }
    match summary.secs_left() {
        Some(s) => (t.time_left)(&time_left(s)),
        None => t.estimating.to_owned(),
    }
}

/// The load progress panel.
#[function_component(LoadProgress)]
pub fn load_progress(props: &LoadProgressProps) -> Html {
    let s = &props.summary;
    let p = s.progress;
    let percent = s.fraction() * 100.0;
    // Through the CSSOM: the CSP refuses a `style=` attribute (the bar showed full at all times).
    let fill = use_node_ref();
    let t = crate::page::i18n::use_texts();
    use_css(fill.clone(), vec![("width", format!("{percent:.1}%"))]);
    html! {
        <div class="load-progress" data-testid="load-progress" role="status" aria-live="polite">
            <div class="load-progress__bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow={format!("{percent:.0}")}>
                <div class="load-progress__fill" ref={fill} />
            </div>
            <div class="load-progress__numbers">
                <span data-testid="progress-bytes" data-done={p.bytes_done.to_string()} data-total={p.bytes_total.to_string()}>
                    {(t.mb_of)(&format!("{} MB", t.decimal(p.bytes_done as f64 / 1_000_000.0, 1)), &format!("{} MB", t.decimal(p.bytes_total as f64 / 1_000_000.0, 1)))}
                </span>
                <span data-testid="progress-events" data-value={p.records_done.to_string()}>
                    {(t.read_events)(&t.count(p.records_done, t.n_events))}
                </span>
                <span data-testid="progress-files" data-done={p.files_done.to_string()} data-total={p.files_total.to_string()}>
                    {format!("{} / {}", t.num(p.files_done as u64), t.count(p.files_total as u64, t.n_files))}
                </span>
                <span data-testid="progress-rate">{rate_text(s).replace('.', &t.decimal.to_string())}</span>
                <span data-testid="progress-eta">{eta_in(s, t)}</span>
                <button class="load-progress__cancel" data-testid="cancel-load" onclick={props.on_cancel.clone()}
                    disabled={props.cancelling}
                    title={t.cancel_title}>
                    {if props.cancelling { t.cancelling } else { t.cancel }}
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::state::Progress;

    #[test]
    fn numbers_read_as_people_expect() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(mb(12_345_678), "12.3 MB");
        assert_eq!(time_left(0.2), "1 s");
        assert_eq!(time_left(59.0), "59 s");
        assert_eq!(time_left(200.0), "3 min 20 s");
        assert_eq!(time_left(3900.0), "1 h 05 min");
    }

    #[test]
    fn rate_and_eta_texts() {
        let mut s = ProgressSummary {
            progress: Progress { bytes_done: 50_000_000, bytes_total: 150_000_000, ..Progress::default() },
            elapsed_ms: 2000.0,
        };
        assert_eq!(rate_text(&s), "25.0 MB/s");
        assert_eq!(eta_text(&s), "about 4 s left");
        s.progress.bytes_done = s.progress.bytes_total;
        assert_eq!(eta_text(&s), "finishing…");
        s.elapsed_ms = 10.0;
        s.progress.bytes_done = 1;
        assert_eq!(rate_text(&s), "–");
        assert_eq!(eta_text(&s), "estimating…");
    }
}
