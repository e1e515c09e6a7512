//! The root component: the page's state (one reducer), its hooks (the engine pool, the URL
//! fragment, the shortcuts, the theme), and the page's layout.

mod engine;
mod fragment;
mod handlers;
mod shortcuts;
mod theme;

use yew::prelude::*;

use crate::page::components::coverage_panel::CoveragePanel;
use crate::page::components::detail_panel::DetailPanel;
use crate::page::components::drop_zone::DropZone;
use crate::page::components::endpoint_cards::EndpointCards;
use crate::page::components::endpoint_changes::EndpointChanges;
use crate::page::components::event_table::EventTable;
use crate::page::components::export_progress::ExportProgress;
use crate::page::components::filter_bar::FilterBar;
use crate::page::components::findings_panel::FindingsPanel;
use crate::page::components::help::Help;
use crate::page::components::load_progress::LoadProgress;
use crate::page::components::load_report::LoadReport;
use crate::page::components::overview::Overview;
use crate::page::components::sessions_table::SessionsTable;
use crate::page::components::stats_bar::StatsBar;
use crate::page::components::status_bar::StatusBar;
use crate::page::components::timeline::Timeline;
use crate::page::components::tunnel_table::TunnelTable;
use crate::page::i18n::{choose_lang, initial_lang, use_html_lang};
use crate::page::state::{Action, AppState, LoadBatch, LoadPhase};
use crate::page::tasks::{later, perf_mark};
use crate::protocol::ExportKind;
use engine::{use_engine, with_pool};
use fragment::{location_hash, use_fragment};
use handlers::Handlers;
use shortcuts::use_shortcuts;
use theme::{choose_dark, initial_dark, use_theme};
use tunnelscope_core::i18n::Lang;

/// Data sections and tunnel rows go on screen a step per task (`state::SECTIONS`,
/// `state::ROW_STEP`), so no task blocks the page.
#[hook]
fn use_reveal_steps(state: &UseReducerHandle<AppState>) {
    let dispatcher = state.dispatcher();
    let incomplete = !state.fully_shown();
    use_effect_with(state.steps, move |_| {
        if incomplete {
            perf_mark("ui: rendered");
            later(move || {
                perf_mark("ui: reveal");
                dispatcher.dispatch(Action::RevealMore)
            });
        }
    });
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    // The view restored from the link before anything writes the fragment.
    let state = use_reducer(|| {
        let hash = location_hash();
        AppState { lang: initial_lang(&hash), ..AppState::opened_with(&hash, initial_dark()) }
    });
    let pool = use_engine(&state);
    use_fragment(&state);
    use_reveal_steps(&state);
    use_theme(&state);
    use_html_lang(state.lang);
    let t = state.lang.texts();
    crate::page::i18n::set_current(state.lang);
    use_shortcuts(state.dispatcher());
    let d = state.dispatcher();
    let handlers = use_memo((), {
        let (pool, d) = (pool.clone(), d.clone());
        move |_| Handlers::new(&pool, &d)
    });
    let h = &*handlers;
    let on_cancel = {
        let (pool, d) = (pool.clone(), d.clone());
        let loads = state.loads.clone();
        Callback::from(move |_: MouseEvent| {
            for &load_id in &loads {
                with_pool(&pool, |p| p.cancel(load_id));
            }
            d.dispatch(Action::CancelRequested);
        })
    };
    let on_export_cancel = {
        let (pool, d) = (pool.clone(), d.clone());
        let export_id = state.export.as_ref().map(|r| r.export_id);
        Callback::from(move |_: MouseEvent| {
            if let Some(export_id) = export_id {
                with_pool(&pool, |p| p.cancel_export(export_id));
                d.dispatch(Action::ExportCancelRequested);
            }
        })
    };
    let exporting = state.export.is_some();
    let on_theme = {
        let d = d.clone();
        let dark = state.dark;
        Callback::from(move |_: MouseEvent| {
            choose_dark(!dark);
            d.dispatch(Action::SetDark(!dark))
        })
    };
    let on_lang = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else { return };
            if let Some(lang) = Lang::from_code(&select.value()) {
                choose_lang(lang);
                d.dispatch(Action::SetLang(lang));
            }
        })
    };
    let view = &state.view;
    // Each section renders the view it was last brought up to date with (`AppState::lagging`).
    let (v1, v2, v3, v4, vt) = (
        state.section_view(1),
        state.section_view(2),
        state.section_view(3),
        state.section_view(4),
        state.tunnel_view(),
    );
    let lanes = use_memo(v2.generation, {
        let lanes = v2.lanes.clone();
        move |_| lanes
    });
    let endpoints = use_memo(v2.generation, {
        let endpoints = v2.endpoints.clone();
        move |_| endpoints
    });
    let finding_marks = use_memo(v2.generation, {
        let marks = v2.finding_marks.clone();
        move |_| marks
    });
    let req = &state.request;
    let local = state.local_time;
    // Loaded data without a single tunnel or endpoint call: said plainly, not as empty sections.
    let no_eice = state.phase == LoadPhase::Done && view.n_events_total > 0 && view.n_eice_total == 0;
    html! {
        // `data-settled`: every section shows the latest view (the bench's re-filter waits for it).
        <ContextProvider<Lang> context={state.lang}>
        <div class="app" data-settled={if state.fully_shown() { "true" } else { "false" }}>
            <header class="app__header">
                <h1 class="app__title">{"tunnelscope"}</h1>
                <span class="app__tagline">{t.tagline}</span>
                <span class="app__actions">
                    <button data-testid="load-sample" onclick={h.on_sample.clone()}>{t.load_sample}</button>
                    <button data-testid="clear" onclick={h.on_clear.clone()}>{t.clear}</button>
                    <button data-testid="toggle-time" onclick={h.on_local.clone()} title={t.time_title}>{if local { t.local_time } else { t.utc }}</button>
                    <button data-testid="toggle-theme" onclick={on_theme} title={t.theme_title}>{if state.dark { t.theme_light } else { t.theme_dark }}</button>
                    <button data-testid="show-help" onclick={h.on_help.clone()} title={t.help_title}>{"?"}</button>
                </span>
            </header>
            <DropZone on_files={h.on_files.clone()} />
            <StatusBar phase={state.phase} cancelled={state.cancelled} n_events_total={view.n_events_total}
                n_files={view.files.len()} error={state.error.clone()} />
            if let (LoadPhase::Loading, Some(batch)) = (state.phase, &state.batch) {
                <LoadProgress summary={LoadBatch::summary(batch)} cancelling={state.cancelling} {on_cancel} />
            }
            if let Some(notice) = &state.notice {
                <div class="notice" data-testid="notice" role="status">{notice.clone()}</div>
            }
            <FilterBar query={req.query.clone()} error={view.query_error.clone()} on_query={h.on_query.clone()} />
            <StatsBar n_events={view.n_events} stats={view.stats.clone()} n_source_ips={view.n_source_ips}
                n_sessions={view.n_sessions as u64} n_findings={view.n_findings as u64} />
            if view.n_events_total > 0 {
                <FindingsPanel rows={view.findings.clone()} said={view.findings_said.clone()} total={view.n_findings} counts={view.finding_counts}
                    offset={req.finding_offset} newest_first={req.findings_newest_first} settings={req.settings.clone()}
                    errors={view.settings_errors.clone()} query={req.query.clone()} local_time={local}
                    on_page={h.on_finding_page.clone()} on_newest={h.on_findings_newest.clone()} on_settings={h.on_settings.clone()}
                    on_open={h.on_open_finding.clone()} on_query={h.on_query.clone()} />
            }
            if state.section_shown(1) {
                <Overview histogram={v1.histogram.clone()} window={req.window} local_time={local} dark={state.dark} on_window={h.on_window.clone()} />
                <div class="exports">
                    <span class="muted">{t.export_label}</span>
                    <button data-testid="export-csv" onclick={h.export_tunnels_csv.clone()} disabled={exporting}>{t.export_tunnels_csv}</button>
                    <button data-testid="export-json" onclick={h.export_tunnels_json.clone()} disabled={exporting}>{t.export_tunnels_json}</button>
                    <button data-testid="export-events-csv" onclick={h.export_events_csv.clone()} disabled={exporting}>{t.export_events_csv}</button>
                    <button data-testid="export-events-json" onclick={h.export_events_json.clone()} disabled={exporting}>{t.export_events_json}</button>
                    <button data-testid="export-records" onclick={h.export_records.clone()} disabled={exporting}>{t.export_records}</button>
                    <button data-testid="export-sessions-csv" onclick={h.on_export.reform(|_: MouseEvent| ExportKind::SessionsCsv)} disabled={exporting}>{t.export_sessions_csv}</button>
                    <button data-testid="export-sessions-json" onclick={h.on_export.reform(|_: MouseEvent| ExportKind::SessionsJson)} disabled={exporting}>{t.export_sessions_json}</button>
                    <button data-testid="export-findings-csv" onclick={h.on_export.reform(|_: MouseEvent| ExportKind::FindingsCsv)} disabled={exporting}>{t.export_findings_csv}</button>
                    <button data-testid="export-findings-json" onclick={h.on_export.reform(|_: MouseEvent| ExportKind::FindingsJson)} disabled={exporting}>{t.export_findings_json}</button>
                    if let Some(run) = &state.export {
                        <ExportProgress run={run.clone()} on_cancel={on_export_cancel} />
                    }
                </div>
            }
            if no_eice {
                <p class="notice" data-testid="no-eice" role="status">{(t.no_eice)(&t.count(view.n_events_total, t.n_events))}</p>
            }
            <div class={classes!("app__main", state.selected.is_some().then_some("app__main--detail"))}>
                <div class="app__views">
                    if state.section_shown(2) && !no_eice {
                        <Timeline lanes={lanes} endpoints={endpoints} extent={v2.extent}
                            window={req.window.map(|w| (w.start_ms, w.end_ms))} generation={v2.generation}
                            selected={state.selected.clone()} local_time={local} dark={state.dark}
                            grouping={req.grouping} on_grouping={h.on_grouping.clone()} on_select={h.on_select.clone()}
                            {finding_marks} on_select_session={h.on_open_session.clone()} on_select_finding={h.on_open_finding.clone()} />
                        <EndpointCards endpoints={v2.endpoints.clone()} local_time={local} on_filter={h.on_filter.clone()} />
                    }
                    // Its own render step (section 3), after the timeline's.
                    if state.section_shown(3) && !no_eice {
                        <SessionsTable rows={v3.sessions.clone()} total={v3.n_sessions} offset={req.session_offset} sort={req.session_sort}
                            gap={v3.gap.clone()} gap_typed={req.gap.clone()} query={req.query.clone()} local_time={local}
                            on_page={h.on_session_page.clone()} on_sort={h.on_session_sort.clone()} on_gap={h.on_gap.clone()}
                            on_open={h.on_open_session.clone()} on_select={h.on_select.clone()} />
                    }
                    if !no_eice {
                    <TunnelTable rows={state.shown_tunnels().to_vec()} total={vt.n_tunnel_rows} offset={vt.offset} on_page={h.on_page.clone()}
                        selected={state.selected.clone()} local_time={local} on_select={h.on_select.clone()} />
                    }
                    if state.section_shown(3) && !no_eice {
                        <EndpointChanges rows={v3.endpoint_changes.clone()} total={v3.n_endpoint_rows} counts={v3.stats.endpoint_changes} local_time={local} on_select={h.on_select.clone()} />
                    }
                    if state.section_shown(4) {
                        <EventTable rows={v4.event_rows.clone()} total={v4.n_event_rows} offset={v4.event_offset}
                            eice_only={req.eice_only} order={req.order} selected={state.selected.clone()} local_time={local}
                            on_select={h.on_select.clone()} on_need={h.on_event_need.clone()} on_eice_only={h.on_eice_only.clone()} on_order={h.on_order.clone()} />
                    }
                </div>
                <DetailPanel selected={state.selected.clone()} detail={state.detail.clone()} missing={state.detail_missing} local_time={local}
                    on_select={h.on_select.clone()} on_filter={h.on_filter.clone()} on_close={h.on_close.clone()} />
            </div>
            <CoveragePanel coverage={view.coverage.clone()} local_time={local} />
            <LoadReport files={view.files.clone()} />
            // The language switch: at the foot of the page, where it takes nothing from the header
            // on a phone; each language named in itself.
            <footer class="app__footer">
                <label>{t.language_label}
                    <select data-testid="lang" class="app__lang" aria-label={t.language} onchange={on_lang}>
                        {for Lang::all().map(|l| html! { <option value={l.code()} lang={l.code()} selected={l == state.lang}>{l.texts().name}</option> })}
                    </select>
                </label>
            </footer>
            if state.show_help {
                <Help on_close={h.on_help_close.clone()} />
            }
        </div>
        </ContextProvider<Lang>>
    }
}
