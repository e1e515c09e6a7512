//! Component tests in headless Chromium (wasm-bindgen-test): components render their props
//! into the DOM hooks that the end-to-end tests and outside checks rely on.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // test set-up: a missing DOM is a failed test

use tunnelscope_app::components::load_progress::{LoadProgress, LoadProgressProps};
use tunnelscope_app::components::load_report::{LoadReport, LoadReportProps};
use tunnelscope_app::components::stats_bar::{StatsBar, StatsBarProps};
use tunnelscope_app::components::status_bar::{StatusBar, StatusBarProps};
use tunnelscope_app::components::tunnel_table::{TunnelTable, TunnelTableProps};
use tunnelscope_app::protocol::ViewRequest;
use tunnelscope_app::state::{LoadPhase, Progress, ProgressSummary};
use tunnelscope_app::view::{Prepared, build_view};
use tunnelscope_core::Dataset;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, window};
use yew::{Callback, Renderer};

wasm_bindgen_test_configure!(run_in_browser);

fn root() -> Element {
    let document = window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector).unwrap().expect(selector).text_content().unwrap_or_default()
}

fn sample_view() -> tunnelscope_app::protocol::View {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    ds.add_file("notes.txt", b"hello");
    build_view(&ds, &Prepared::new(&ds), &ViewRequest { generation: 1, ..ViewRequest::default() })
}

#[wasm_bindgen_test]
async fn stats_bar_shows_the_counters() {
    let view = sample_view();
    let root = root();
    Renderer::<StatsBar>::with_root_and_props(
        root.clone(),
        StatsBarProps {
            n_events: view.n_events,
            n_source_ips: view.n_source_ips,
            stats: view.page.stats.clone(),
            n_sessions: view.n_sessions as u64,
            n_findings: view.n_findings as u64,
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=stat-tunnels]"), "45");
    assert_eq!(text(&root, "[data-testid=stat-failed-tunnels]"), "5");
    assert_eq!(text(&root, "[data-testid=stat-endpoints]"), "3");
    assert_eq!(text(&root, "[data-testid=stat-events]"), view.n_events.to_string());
    assert_eq!(text(&root, "[data-testid=stat-source-ips]"), "6");
    // The sample's sessions and findings, as `tunnelscope stats --json` counts them.
    assert_eq!(text(&root, "[data-testid=stat-sessions]"), "43");
    assert_eq!(text(&root, "[data-testid=stat-findings]"), "23");
}

#[wasm_bindgen_test]
async fn tunnel_rows_carry_event_ids_and_render_hostile_text_inertly() {
    let mut view = sample_view();
    view.page.tunnels[0].principal = "<img src=x onerror=alert(1)>".into();
    let first_id = view.tunnels[0].event_id.clone();
    let root = root();
    Renderer::<TunnelTable>::with_root_and_props(
        root.clone(),
        TunnelTableProps {
            rows: view.tunnels.clone(),
            total: view.n_tunnel_rows,
            offset: 0,
            on_page: Callback::noop(),
            selected: None,
            local_time: false,
            on_select: Callback::noop(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    let rows = root.query_selector_all("[data-testid=tunnel-row]").unwrap();
    assert_eq!(rows.length(), 45);
    let first: Element = root.query_selector("[data-testid=tunnel-row]").unwrap().unwrap();
    assert_eq!(first.get_attribute("data-event-id").as_deref(), Some(first_id.as_str()));
    assert!(first.text_content().unwrap().contains("<img src=x onerror=alert(1)>"));
    assert!(root.query_selector("img").unwrap().is_none(), "log text must never become markup");
}

#[wasm_bindgen_test]
async fn load_report_lists_every_file_with_its_status() {
    let view = sample_view();
    let root = root();
    Renderer::<LoadReport>::with_root_and_props(root.clone(), LoadReportProps { files: view.page.files }).render();
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-testid=file-status][data-status=read]").unwrap().is_some());
    let rejected = root.query_selector("[data-testid=file-status][data-status=rejected]").unwrap().unwrap();
    assert!(rejected.text_content().unwrap().contains("notes.txt"));
}

#[wasm_bindgen_test]
async fn load_progress_shows_bytes_events_files_rate_and_time_left() {
    let root = root();
    let summary = ProgressSummary {
        progress: Progress {
            files_done: 3,
            files_total: 12,
            bytes_done: 40_000_000,
            bytes_total: 100_000_000,
            records_done: 1_234_567,
        },
        elapsed_ms: 2000.0,
    };
    Renderer::<LoadProgress>::with_root_and_props(
        root.clone(),
        LoadProgressProps { summary, cancelling: false, on_cancel: Callback::noop() },
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=progress-bytes]"), "40.0 MB of 100.0 MB");
    assert_eq!(text(&root, "[data-testid=progress-events]"), "1,234,567 events read");
    assert_eq!(text(&root, "[data-testid=progress-files]"), "3 / 12 files");
    assert_eq!(text(&root, "[data-testid=progress-rate]"), "20.0 MB/s");
    assert_eq!(text(&root, "[data-testid=progress-eta]"), "about 3 s left");
    assert_eq!(text(&root, "[data-testid=cancel-load]"), "Cancel");
    // The bar's width is set through the CSSOM (the CSP refuses `style=` attributes).
    let fill: web_sys::HtmlElement = root.query_selector(".load-progress__fill").unwrap().unwrap().dyn_into().unwrap();
    assert_eq!(fill.style().get_property_value("width").unwrap(), "40%");
}

#[wasm_bindgen_test]
async fn the_status_says_cancelled_only_once_done() {
    for (phase, cancelled, expected) in
        [(LoadPhase::Done, true, Some("true")), (LoadPhase::Done, false, None), (LoadPhase::Loading, true, None)]
    {
        let root = root();
        Renderer::<StatusBar>::with_root_and_props(
            root.clone(),
            StatusBarProps { phase, cancelled, n_events_total: 5, n_files: 2, error: None },
        )
        .render();
        yew::scheduler::flush().await;
        let status = root.query_selector("[data-testid=load-status]").unwrap().unwrap();
        assert_eq!(status.get_attribute("data-state").as_deref(), Some(phase.as_str()));
        assert_eq!(status.get_attribute("data-cancelled").as_deref(), expected);
    }
}

#[wasm_bindgen_test]
async fn export_progress_shows_how_far_on_a_bar_without_a_style_attribute() {
    use tunnelscope_app::components::export_progress::{ExportProgress, ExportProgressProps};
    use tunnelscope_app::protocol::ExportKind;
    use tunnelscope_app::state::ExportRun;
    let root = root();
    let run = ExportRun {
        export_id: 1,
        kind: ExportKind::Records,
        done: 12_345,
        total: 50_000,
        started: true,
        cancelling: false,
    };
    Renderer::<ExportProgress>::with_root_and_props(
        root.clone(),
        ExportProgressProps { run, on_cancel: Callback::noop() },
    )
    .render();
    yew::scheduler::flush().await;
    let line = root.query_selector("[data-testid=export-progress]").unwrap().unwrap();
    assert_eq!(line.get_attribute("data-done").as_deref(), Some("12345"));
    assert_eq!(line.get_attribute("data-total").as_deref(), Some("50000"));
    assert!(line.text_content().unwrap().contains("12,345 of 50,000 records"));
    let bar = root.query_selector("progress").unwrap().unwrap();
    assert_eq!(bar.get_attribute("value").as_deref(), Some("12345"));
    assert_eq!(bar.get_attribute("max").as_deref(), Some("50000"));
    // The page's CSP (`style-src 'self'`) drops inline style attributes.
    assert!(root.query_selector("[style]").unwrap().is_none());
    assert!(root.query_selector("[data-testid=export-cancel]").unwrap().is_some());
}
