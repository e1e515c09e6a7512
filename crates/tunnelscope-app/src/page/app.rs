//! The root component: owns the state reducer and the engine pool, keeps the URL fragment in
//! step with the view, and lays out the page.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use tunnelscope_core::query::{TimeWindow, format_term};
use tunnelscope_core::view_state::{ViewState, fingerprint};
use tunnelscope_core::views::{Grouping, SortOrder};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::File;
use yew::prelude::*;

use crate::page::components::coverage_panel::CoveragePanel;
use crate::page::components::detail_panel::DetailPanel;
use crate::page::components::drop_zone::DropZone;
use crate::page::components::endpoint_cards::EndpointCards;
use crate::page::components::endpoint_changes::EndpointChanges;
use crate::page::components::event_table::EventTable;
use crate::page::components::export_progress::ExportProgress;
use crate::page::components::filter_bar::FilterBar;
use crate::page::components::help::Help;
use crate::page::components::load_progress::LoadProgress;
use crate::page::components::load_report::LoadReport;
use crate::page::components::overview::Overview;
use crate::page::components::stats_bar::StatsBar;
use crate::page::components::status_bar::StatusBar;
use crate::page::components::timeline::Timeline;
use crate::page::components::tunnel_table::TunnelTable;
use crate::page::hooks::{use_document_event, use_window_event};
use crate::page::pool::EnginePool;
use crate::page::state::{Action, AppState, ExportFile, LoadBatch, LoadPhase, Progress};
use crate::protocol::{ExportBody, ExportKind, Response, ViewRequest};

/// Most workers in the pool: the owner of the dataset plus parse helpers. Each helper is a
/// wasm instance of its own; beyond a few the owner, which adds every file, is the bottleneck.
const MAX_WORKERS: usize = 4;

/// Workers for this machine: one per core (`navigator.hardwareConcurrency`), at most
/// [`MAX_WORKERS`]; a single core gets the owner alone.
fn n_workers() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).clamp(1, MAX_WORKERS)
}

/// Least time between two views asked for while a load runs (partial results).
const PARTIAL_VIEW_MIN_INTERVAL_MS: f64 = 500.0;
/// Partial views take at most about a tenth of the engine's time: the interval grows to this
/// many times the latest partial view's round trip (big datasets prepare slower, and each
/// one prepares the whole dataset so far). At 4, preparing indexes took 28 % of a
/// 2,000,000-event load (6.5 of 23.3 s, the final preparation included); at 10, 4
/// preparations in all took 5.8 of 21.1 s (one run each, a noisy machine).
const PARTIAL_VIEW_COST_FACTOR: f64 = 10.0;

/// Views asked for during a load, so counters, table and timeline fill in as files finish:
/// at most one in flight, spaced by at least [`PARTIAL_VIEW_MIN_INTERVAL_MS`].
#[derive(Default)]
struct PartialViews {
    /// The generation in flight and when it was asked for.
    in_flight: Option<(u64, f64)>,
    /// When the latest one was asked for.
    last_ms: f64,
    /// The current spacing.
    interval_ms: f64,
    /// Files finished per load, as of the latest progress.
    files_done: HashMap<u64, usize>,
    /// Files finished since the latest partial view was asked for.
    changed: bool,
}

impl PartialViews {
    /// Notes a load's progress; true when a partial view should be asked for now (never once
    /// every file is read: the view that ends the load follows).
    fn progressed(&mut self, load_id: u64, files_done: usize, files_total: usize, now_ms: f64) -> bool {
        let seen = self.files_done.entry(load_id).or_insert(0);
        if files_done > *seen {
            *seen = files_done;
            self.changed = true;
        }
        let interval = self.interval_ms.max(PARTIAL_VIEW_MIN_INTERVAL_MS);
        files_done < files_total && self.changed && self.in_flight.is_none() && now_ms - self.last_ms >= interval
    }

    fn sent(&mut self, generation: u64, now_ms: f64) {
        self.in_flight = Some((generation, now_ms));
        self.last_ms = now_ms;
        self.changed = false;
    }

    fn view_arrived(&mut self, generation: u64, now_ms: f64) {
        if let Some((g, sent_ms)) = self.in_flight {
            if generation >= g {
                self.interval_ms = (now_ms - sent_ms) * PARTIAL_VIEW_COST_FACTOR;
                self.in_flight = None;
            }
        }
    }

    fn load_ended(&mut self, load_id: u64) {
        self.files_done.remove(&load_id);
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Handles shared by callbacks: the pool, counters, the current request and the link state.
#[derive(Clone, Default)]
struct Engine {
    pool: Rc<RefCell<Option<EnginePool>>>,
    generation: Rc<Cell<u64>>,
    load_id: Rc<Cell<u64>>,
    request: Rc<RefCell<ViewRequest>>,
    /// (name, size) of every file loaded, for the link fingerprint.
    files: Rc<RefCell<Vec<(String, u64)>>>,
    /// The fingerprint and selection of the link the page was opened with.
    link_fingerprint: Rc<RefCell<Option<String>>>,
    link_selection: Rc<RefCell<Option<String>>>,
    partial: Rc<RefCell<PartialViews>>,
    /// The latest export's ID.
    export_id: Rc<Cell<u64>>,
}

impl Engine {
    fn with_pool(&self, f: impl FnOnce(&EnginePool)) {
        if let Some(pool) = self.pool.borrow().as_ref() {
            f(pool);
        }
    }

    /// Changes the request, then asks for the view and records it in the state.
    fn request_view(&self, dispatcher: &UseReducerDispatcher<AppState>, change: impl FnOnce(&mut ViewRequest)) -> u64 {
        self.generation.set(self.generation.get() + 1);
        let req = {
            let mut r = self.request.borrow_mut();
            change(&mut r);
            r.generation = self.generation.get();
            r.clone()
        };
        dispatcher.dispatch(Action::RequestView(req.clone()));
        self.with_pool(|p| p.view(&req));
        req.generation
    }

    fn fingerprint(&self) -> String {
        let files = self.files.borrow();
        let pairs: Vec<(&str, u64)> = files.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        fingerprint(&pairs)
    }

    fn select(&self, dispatcher: &UseReducerDispatcher<AppState>, event_id: Option<String>) {
        if let Some(id) = &event_id {
            self.with_pool(|p| p.detail(id));
        }
        dispatcher.dispatch(Action::Select(event_id));
    }
}

fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Writes the fragment: a new history entry when `push` (Back returns to the view before),
/// else in place.
fn write_hash(fragment: &str, push: bool) {
    let Some(w) = web_sys::window() else { return };
    let Ok(history) = w.history() else { return };
    let url = if fragment.is_empty() {
        w.location().pathname().unwrap_or_default() + &w.location().search().unwrap_or_default()
    } else {
        format!("#{fragment}")
    };
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
}

/// True when going from `from` to `to` is a step a person would want Back to undo: another
/// query, window, grouping or selection (a query applies on Enter, so never per keystroke).
/// The files' fingerprint changing is not: that entry is rewritten in place.
fn is_navigation(from: &ViewState, to: &ViewState) -> bool {
    (&from.query, from.window, &from.grouping, &from.selected) != (&to.query, to.window, &to.grouping, &to.selected)
}

/// Where the theme chosen with the button is kept (this browser only; never sent anywhere).
const THEME_KEY: &str = "tunnelscope.theme";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The theme chosen earlier, else the system's.
fn initial_dark() -> bool {
    match local_storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    }
}

fn download(file_name: &str, mime: &str, body: &ExportBody) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let part = match body {
        ExportBody::Text(text) => JsValue::from_str(text),
        // The bytes as the worker sent them: never copied into this thread's memory.
        ExportBody::Bytes(bytes) => bytes.clone(),
    };
    let parts = js_sys::Array::of1(&part);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document.create_element("a").map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>()) {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState { dark: initial_dark(), ..AppState::default() });
    let engine = use_memo((), |_| {
        let engine = Engine::default();
        // Restore the view from the link before anything else writes the fragment.
        let link = ViewState::from_fragment(&location_hash());
        {
            let mut r = engine.request.borrow_mut();
            r.query = link.query.clone();
            r.window = link.window;
            r.grouping = Grouping::parse(&link.grouping).unwrap_or_default();
        }
        *engine.link_fingerprint.borrow_mut() = (!link.fingerprint.is_empty()).then(|| link.fingerprint.clone());
        *engine.link_selection.borrow_mut() = link.selected.clone();
        engine
    });

    {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let e = engine.clone();
            let d = dispatcher.clone();
            let spawned = EnginePool::spawn(n_workers(), move |response| match response {
                Response::Progress { load_id, files_done, files_total, bytes_done, bytes_total, records_done } => {
                    let now = now_ms();
                    let progress = Progress { files_done, files_total, bytes_done, bytes_total, records_done };
                    d.dispatch(Action::Progressed { load_id, progress, now_ms: now });
                    let ask = e.partial.borrow_mut().progressed(load_id, files_done, files_total, now);
                    if ask {
                        // Partial results: the same view, over the files finished so far.
                        let generation = e.request_view(&d, |_| {});
                        e.partial.borrow_mut().sent(generation, now);
                    }
                }
                Response::Loaded { load_id, cancelled } => {
                    perf_mark("ui: Loaded");
                    e.partial.borrow_mut().load_ended(load_id);
                    let generation = e.request_view(&d, |r| {
                        r.offset = 0;
                        r.event_offset = 0;
                    });
                    d.dispatch(Action::Loaded { load_id, generation, cancelled });
                    let link_fp = e.link_fingerprint.borrow().clone();
                    if let Some(link_fp) = link_fp {
                        let fp = e.fingerprint();
                        d.dispatch(Action::Notice((fp != link_fp).then(|| {
                            format!("This link was made for a different set of files (fingerprint {link_fp}, loaded {fp}): the view was restored, but results may differ.")
                        })));
                    }
                    let restore = e.link_selection.borrow_mut().take();
                    if restore.is_some() {
                        e.select(&d, restore);
                    }
                }
                Response::View(view) => {
                    perf_mark("ui: view arrived");
                    e.partial.borrow_mut().view_arrived(view.generation, now_ms());
                    // Rendered in a task of its own: reading a big view's message and the render
                    // it causes were one task of up to ~115 ms at 2,000,000 events.
                    let d = d.clone();
                    later(move || d.dispatch(Action::ViewArrived(Rc::new(*view))));
                }
                Response::Detail { event_id, detail } => {
                    d.dispatch(Action::DetailArrived(event_id, (*detail).map(Rc::new)))
                }
                Response::ExportProgress { export_id, done, total } => {
                    d.dispatch(Action::ExportProgressed { export_id, done, total })
                }
                Response::ExportCancelled { export_id } => d.dispatch(Action::ExportCancelled { export_id }),
                Response::Export { export_id, file_name, mime, body } => {
                    d.dispatch(Action::ExportArrived(Rc::new(ExportFile { export_id, file_name, mime, body })))
                }
                Response::Failed { message } => d.dispatch(Action::Failed(message)),
                Response::EngineStopped { message } => {
                    // The pool starts a fresh, empty engine for the next request.
                    e.files.borrow_mut().clear();
                    d.dispatch(Action::EngineStopped(message))
                }
                Response::Ready => {}
            });
            match spawned {
                Ok(pool) => *engine.pool.borrow_mut() = Some(pool),
                Err(message) => dispatcher.dispatch(Action::Failed(message)),
            }
            engine.request_view(&dispatcher, |_| {});
        });
    }

    // Keep the fragment in step with the view (query, window, grouping, selection, files).
    {
        let engine = (*engine).clone();
        let r = &state.request;
        let deps = (r.query.clone(), r.window, r.grouping, state.selected.clone(), state.view.n_events_total);
        use_effect_with(deps, move |(query, window, grouping, selected, n_events)| {
            if *n_events > 0 || !query.is_empty() {
                let vs = ViewState {
                    query: query.clone(),
                    window: *window,
                    grouping: if *grouping == Grouping::default() {
                        String::new()
                    } else {
                        grouping.as_str().to_owned()
                    },
                    selected: selected.clone(),
                    fingerprint: if engine.files.borrow().is_empty() { String::new() } else { engine.fingerprint() },
                };
                let fragment = vs.to_fragment();
                let current = location_hash();
                let current = current.strip_prefix('#').unwrap_or(&current);
                if fragment != current {
                    write_hash(&fragment, is_navigation(&ViewState::from_fragment(current), &vs));
                }
            }
        });
    }

    // Data sections and tunnel rows go on screen a step per task (`state::SECTIONS`,
    // `state::ROW_STEP`), so no task blocks the page.
    {
        let dispatcher = state.dispatcher();
        let deps = state.steps;
        let incomplete = !state.fully_shown();
        use_effect_with(deps, move |_| {
            if incomplete {
                perf_mark("ui: rendered");
                later(move || {
                    perf_mark("ui: reveal");
                    dispatcher.dispatch(Action::RevealMore)
                });
            }
        });
    }

    // A finished export becomes a download once (the reducer drops a cancelled one's file).
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.download.clone(), move |file| {
            if let Some(f) = file {
                download(&f.file_name, &f.mime, &f.body);
                dispatcher.dispatch(Action::Downloaded { export_id: f.export_id });
            }
        });
    }

    // Theme on the root element, so CSS variables follow it.
    use_effect_with(state.dark, |dark| {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-theme", if *dark { "dark" } else { "light" });
        }
    });

    // Back and Forward: the entry's fragment becomes the view again; the data stays loaded.
    let on_popstate = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            Callback::from(move |_: web_sys::Event| {
                let link = ViewState::from_fragment(&location_hash());
                engine.request_view(&dispatcher, |r| {
                    r.query = link.query.clone();
                    r.window = link.window;
                    r.grouping = Grouping::parse(&link.grouping).unwrap_or_default();
                    r.offset = 0;
                    r.event_offset = 0;
                });
                engine.select(&dispatcher, link.selected.clone());
            })
        })
    };
    use_window_event("popstate", (*on_popstate).clone());

    // Global shortcuts: / focuses the filter, ? opens help, Esc closes, L switches the zone.
    let on_shortcut = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        use_memo(state.show_help, move |&show_help| {
            Callback::from(move |e: KeyboardEvent| {
                let in_input = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
                match e.key().as_str() {
                    "Escape" => {
                        if show_help {
                            dispatcher.dispatch(Action::ToggleHelp);
                        } else {
                            engine.select(&dispatcher, None);
                        }
                    }
                    _ if in_input => {}
                    "/" => {
                        e.prevent_default();
                        let input = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| d.query_selector("[data-testid=filter-input]").ok().flatten())
                            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
                        if let Some(input) = input {
                            let _ = input.focus();
                        }
                    }
                    "?" => dispatcher.dispatch(Action::ToggleHelp),
                    "l" | "L" => dispatcher.dispatch(Action::ToggleLocalTime),
                    _ => {}
                }
            })
        })
    };
    use_document_event("keydown", (*on_shortcut).clone());

    let e = (*engine).clone();
    let d = state.dispatcher();
    // Made once: callbacks that stay the same let Yew skip the children whose data did not
    // change, so a render step (a section or rows revealed) re-renders only what changed
    // (new callbacks on every render re-rendered every component, ~60 ms a step).
    let handlers = use_memo((), {
        let (e, d) = (e.clone(), d.clone());
        move |_| {
            let on_files = {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |files: Vec<(String, File)>| {
                    let (e, d) = (e.clone(), d.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        // A selected file's size is asked of the browser the first time it is
                        // read (posting the file to a worker would ask too): ~0.2 ms a file on
                        // this thread, 0.4 s for 2,000 files. So a hundred a task, each its own.
                        let mut sizes = Vec::with_capacity(files.len());
                        for (_, f) in &files {
                            sizes.push(f.size() as u64);
                            if sizes.len() % SIZES_PER_TASK == 0 {
                                next_task().await;
                            }
                        }
                        let bytes_total = sizes.iter().sum();
                        e.files.borrow_mut().extend(files.iter().zip(sizes).map(|((n, _), size)| (n.clone(), size)));
                        e.load_id.set(e.load_id.get() + 1);
                        let load_id = e.load_id.get();
                        d.dispatch(Action::StartLoad {
                            load_id,
                            files_total: files.len(),
                            bytes_total,
                            now_ms: now_ms(),
                        });
                        // The marks of one load at a time (for the benchmark's timeline).
                        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
                            p.clear_marks();
                        }
                        perf_mark("ui: files to the workers");
                        e.with_pool(|p| p.load(load_id, files));
                        perf_mark("ui: files posted");
                    });
                })
            };
            let on_sample = {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |_: MouseEvent| {
                    let size = tunnelscope_core::sample::sample_trail_json().len() as u64;
                    e.files.borrow_mut().push((tunnelscope_core::sample::SAMPLE_FILE_NAME.to_owned(), size));
                    e.load_id.set(e.load_id.get() + 1);
                    let load_id = e.load_id.get();
                    d.dispatch(Action::StartLoad { load_id, files_total: 1, bytes_total: size, now_ms: now_ms() });
                    e.with_pool(|p| p.load_sample(load_id));
                })
            };
            let on_clear = {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |_: MouseEvent| {
                    e.with_pool(EnginePool::clear);
                    e.files.borrow_mut().clear();
                    *e.partial.borrow_mut() = PartialViews::default();
                    d.dispatch(Action::Cleared);
                    e.request_view(&d, |r| *r = ViewRequest::default());
                    write_hash("", false);
                })
            };
            let on_query = view_change(&e, &d, |r, query: String| {
                r.query = query;
                r.offset = 0;
                r.event_offset = 0;
            });
            let on_filter = view_change(&e, &d, |r, (key, value): (String, String)| {
                let term = format_term(&key, &value);
                r.query = if r.query.trim().is_empty() { term } else { format!("{} {term}", r.query.trim()) };
                r.offset = 0;
                r.event_offset = 0;
            });
            let on_window = view_change(&e, &d, |r, window: Option<TimeWindow>| {
                r.window = window;
                r.offset = 0;
                r.event_offset = 0;
            });
            let on_grouping = view_change(&e, &d, |r, g: Grouping| r.grouping = g);
            let on_page = view_change(&e, &d, |r, offset: usize| r.offset = offset);
            let on_event_need = view_change(&e, &d, |r, offset: usize| r.event_offset = offset);
            let on_eice_only = view_change(&e, &d, |r, on: bool| {
                r.eice_only = on;
                r.event_offset = 0;
            });
            let on_order = view_change(&e, &d, |r, order: SortOrder| {
                r.order = order;
                r.event_offset = 0;
            });
            let on_select = {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |id: String| e.select(&d, Some(id)))
            };
            let on_close = {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |_: ()| e.select(&d, None))
            };
            let on_local = {
                let d = d.clone();
                Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleLocalTime))
            };
            let on_help = {
                let d = d.clone();
                Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleHelp))
            };
            let on_help_close = {
                let d = d.clone();
                Callback::from(move |_: ()| d.dispatch(Action::ToggleHelp))
            };
            let export = |kind: ExportKind| {
                let (e, d) = (e.clone(), d.clone());
                Callback::from(move |_: MouseEvent| {
                    let req = e.request.borrow().clone();
                    let export_id = e.export_id.get() + 1;
                    e.export_id.set(export_id);
                    d.dispatch(Action::ExportStarted { export_id, kind });
                    e.with_pool(|p| p.export(export_id, kind, &req));
                })
            };
            Handlers {
                on_files,
                on_sample,
                on_clear,
                on_query,
                on_filter,
                on_window,
                on_grouping,
                on_page,
                on_event_need,
                on_eice_only,
                on_order,
                on_select,
                on_close,
                on_local,
                on_help,
                on_help_close,
                export_tunnels_csv: export(ExportKind::TunnelsCsv),
                export_tunnels_json: export(ExportKind::TunnelsJson),
                export_events_csv: export(ExportKind::EventsCsv),
                export_events_json: export(ExportKind::EventsJson),
                export_records: export(ExportKind::Records),
            }
        }
    });
    let h = &*handlers;
    let on_cancel = {
        let (e, d) = (e.clone(), d.clone());
        let loads = state.loads.clone();
        Callback::from(move |_: MouseEvent| {
            for &load_id in &loads {
                e.with_pool(|p| p.cancel(load_id));
            }
            d.dispatch(Action::CancelRequested);
        })
    };
    let on_export_cancel = {
        let (e, d) = (e.clone(), d.clone());
        let export_id = state.export.as_ref().map(|r| r.export_id);
        Callback::from(move |_: MouseEvent| {
            if let Some(export_id) = export_id {
                e.with_pool(|p| p.cancel_export(export_id));
                d.dispatch(Action::ExportCancelRequested);
            }
        })
    };
    let exporting = state.export.is_some();
    let on_theme = {
        let d = d.clone();
        let dark = state.dark;
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = local_storage() {
                let _ = s.set_item(THEME_KEY, if dark { "light" } else { "dark" });
            }
            d.dispatch(Action::SetDark(!dark))
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
    let req = &state.request;
    let local = state.local_time;
    // Loaded data without a single tunnel or endpoint call: said plainly, not as empty sections.
    let no_eice = state.phase == LoadPhase::Done && view.n_events_total > 0 && view.n_eice_total == 0;
    html! {
        // `data-settled`: every section shows the latest view (the bench's re-filter waits for it).
        <div class="app" data-settled={if state.fully_shown() { "true" } else { "false" }}>
            <header class="app__header">
                <h1 class="app__title">{"tunnelscope"}</h1>
                <span class="app__tagline">{"EC2 Instance Connect Endpoint tunnels and endpoint changes from CloudTrail, in your browser"}</span>
                <span class="app__actions">
                    <button data-testid="load-sample" onclick={h.on_sample.clone()}>{"Load sample data"}</button>
                    <button data-testid="clear" onclick={h.on_clear.clone()}>{"Clear"}</button>
                    <button data-testid="toggle-time" onclick={h.on_local.clone()} title="L">{if local { "local time" } else { "UTC" }}</button>
                    <button data-testid="toggle-theme" onclick={on_theme}>{if state.dark { "light" } else { "dark" }}</button>
                    <button data-testid="show-help" onclick={h.on_help.clone()} title="?">{"?"}</button>
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
            <StatsBar n_events={view.n_events} stats={view.stats.clone()} n_source_ips={view.n_source_ips} />
            if state.section_shown(1) {
                <Overview histogram={v1.histogram.clone()} window={req.window} local_time={local} dark={state.dark} on_window={h.on_window.clone()} />
                <div class="exports">
                    <span class="muted">{"Export the filtered view:"}</span>
                    <button data-testid="export-csv" onclick={h.export_tunnels_csv.clone()} disabled={exporting}>{"tunnels CSV"}</button>
                    <button data-testid="export-json" onclick={h.export_tunnels_json.clone()} disabled={exporting}>{"tunnels JSON"}</button>
                    <button data-testid="export-events-csv" onclick={h.export_events_csv.clone()} disabled={exporting}>{"events CSV"}</button>
                    <button data-testid="export-events-json" onclick={h.export_events_json.clone()} disabled={exporting}>{"events JSON"}</button>
                    <button data-testid="export-records" onclick={h.export_records.clone()} disabled={exporting}>{"raw records"}</button>
                    if let Some(run) = &state.export {
                        <ExportProgress run={run.clone()} on_cancel={on_export_cancel} />
                    }
                </div>
            }
            if no_eice {
                <p class="notice" data-testid="no-eice" role="status">{format!(
                    "These files hold no EC2 Instance Connect Endpoint activity: none of their {} is an OpenTunnel \
                     or an endpoint Create, Modify, Delete or Describe. The events are listed below.",
                    crate::page::fmt::count(view.n_events_total, "event", "events"))}</p>
            }
            <div class={classes!("app__main", state.selected.is_some().then_some("app__main--detail"))}>
                <div class="app__views">
                    if state.section_shown(2) && !no_eice {
                        <Timeline lanes={lanes} endpoints={endpoints} extent={v2.extent}
                            window={req.window.map(|w| (w.start_ms, w.end_ms))} generation={v2.generation}
                            selected={state.selected.clone()} local_time={local} dark={state.dark}
                            grouping={req.grouping} on_grouping={h.on_grouping.clone()} on_select={h.on_select.clone()} />
                        <EndpointCards endpoints={v2.endpoints.clone()} local_time={local} on_filter={h.on_filter.clone()} />
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
            if state.show_help {
                <Help on_close={h.on_help_close.clone()} />
            }
        </div>
    }
}

/// Files whose size is read in one task (see `on_files`): ~25 ms at ~0.15-0.3 ms a file.
const SIZES_PER_TASK: usize = 100;

/// Resolves in a task of its own (after the browser had the chance to render and handle input).
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `f` in a task of its own (after the browser had the chance to render and handle input).
fn later(f: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        next_task().await;
        f();
    });
}

/// A `performance.mark` for the benchmark's timeline of a load (`tests/e2e/bench/bench.mjs`).
fn perf_mark(what: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(what);
    }
}

/// The page's callbacks that depend on nothing but the engine and the dispatcher (made once).
#[derive(Clone)]
struct Handlers {
    on_files: Callback<Vec<(String, File)>>,
    on_sample: Callback<MouseEvent>,
    on_clear: Callback<MouseEvent>,
    on_query: Callback<String>,
    on_filter: Callback<(String, String)>,
    on_window: Callback<Option<TimeWindow>>,
    on_grouping: Callback<Grouping>,
    on_page: Callback<usize>,
    on_event_need: Callback<usize>,
    on_eice_only: Callback<bool>,
    on_order: Callback<SortOrder>,
    on_select: Callback<String>,
    on_close: Callback<()>,
    on_local: Callback<MouseEvent>,
    on_help: Callback<MouseEvent>,
    on_help_close: Callback<()>,
    export_tunnels_csv: Callback<MouseEvent>,
    export_tunnels_json: Callback<MouseEvent>,
    export_events_csv: Callback<MouseEvent>,
    export_events_json: Callback<MouseEvent>,
    export_records: Callback<MouseEvent>,
}

/// A callback that changes the view request with its argument and asks for the view.
fn view_change<T: 'static>(
    e: &Engine,
    d: &UseReducerDispatcher<AppState>,
    change: fn(&mut ViewRequest, T),
) -> Callback<T> {
    let (e, d) = (e.clone(), d.clone());
    Callback::from(move |x: T| {
        e.request_view(&d, |r| change(r, x));
    })
}
