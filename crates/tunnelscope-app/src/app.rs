//! The root component: owns the state reducer and the engine pool, lays out the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use web_sys::File;
use yew::prelude::*;

use crate::components::drop_zone::DropZone;
use crate::components::endpoint_changes::EndpointChanges;
use crate::components::filter_bar::FilterBar;
use crate::components::load_report::LoadReport;
use crate::components::stats_bar::StatsBar;
use crate::components::status_bar::StatusBar;
use crate::components::tunnel_table::TunnelTable;
use crate::pool::EnginePool;
use crate::protocol::Response;
use crate::state::{Action, AppState, Progress};

/// Workers in the pool. One shard keeps dedupe exact without cross-shard coordination.
const N_WORKERS: usize = 1;

/// Handles shared by callbacks: the pool, the generation counter and the current query.
#[derive(Clone, Default)]
struct Engine {
    pool: Rc<RefCell<Option<EnginePool>>>,
    generation: Rc<Cell<u64>>,
    load_id: Rc<Cell<u64>>,
    query: Rc<RefCell<String>>,
}

impl Engine {
    fn next_generation(&self) -> u64 {
        self.generation.set(self.generation.get() + 1);
        self.generation.get()
    }

    fn with_pool(&self, f: impl FnOnce(&EnginePool)) {
        if let Some(pool) = self.pool.borrow().as_ref() {
            f(pool);
        }
    }

    /// Requests a fresh view and records the request in the state.
    fn request_view(&self, dispatcher: &UseReducerDispatcher<AppState>, offset: usize) -> u64 {
        let generation = self.next_generation();
        let query = self.query.borrow().clone();
        dispatcher.dispatch(Action::RequestView { generation, query: query.clone(), offset });
        self.with_pool(|p| p.view(generation, &query, offset));
        generation
    }
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let engine = use_memo((), |_| Engine::default());

    {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let on_response_engine = engine.clone();
            let d = dispatcher.clone();
            let spawned = EnginePool::spawn(N_WORKERS, move |response| match response {
                Response::Progress { files_done, files_total, bytes_done, bytes_total, .. } => {
                    d.dispatch(Action::Progressed(Progress { files_done, files_total, bytes_done, bytes_total }))
                }
                Response::Loaded { .. } => {
                    let generation = on_response_engine.request_view(&d, 0);
                    d.dispatch(Action::Loaded { generation });
                }
                Response::View(view) => d.dispatch(Action::ViewArrived(Rc::new(*view))),
                Response::Failed { message } => d.dispatch(Action::Failed(message)),
                Response::Ready => {}
            });
            match spawned {
                Ok(pool) => *engine.pool.borrow_mut() = Some(pool),
                Err(message) => dispatcher.dispatch(Action::Failed(message)),
            }
        });
    }

    let on_files = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |files: Vec<(String, File)>| {
            dispatcher.dispatch(Action::StartLoad);
            engine.load_id.set(engine.load_id.get() + 1);
            let load_id = engine.load_id.get();
            engine.with_pool(|p| p.load(load_id, files));
        })
    };
    let on_sample = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::StartLoad);
            engine.load_id.set(engine.load_id.get() + 1);
            let load_id = engine.load_id.get();
            engine.with_pool(|p| p.load_sample(load_id));
        })
    };
    let on_clear = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            engine.with_pool(EnginePool::clear);
            dispatcher.dispatch(Action::Cleared);
            engine.request_view(&dispatcher, 0);
        })
    };
    let on_query = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |query: String| {
            *engine.query.borrow_mut() = query;
            engine.request_view(&dispatcher, 0);
        })
    };
    let on_page = {
        let engine = (*engine).clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |offset: usize| {
            engine.request_view(&dispatcher, offset);
        })
    };

    let view = &state.view;
    html! {
        <div class="app">
            <header class="app__header">
                <h1 class="app__title">{"tunnelscope"}</h1>
                <span class="app__tagline">{"EC2 Instance Connect Endpoint tunnels and endpoint changes from CloudTrail, in your browser"}</span>
                <span class="app__actions">
                    <button data-testid="load-sample" onclick={on_sample}>{"Load sample data"}</button>
                    <button data-testid="clear" onclick={on_clear}>{"Clear"}</button>
                </span>
            </header>
            <DropZone {on_files} />
            <StatusBar phase={state.phase} progress={state.progress} n_events_total={view.n_events_total}
                n_files={view.files.len()} error={state.error.clone()} />
            <FilterBar query={state.query.clone()} error={view.query_error.clone()} {on_query} />
            <StatsBar n_events={view.n_events} stats={view.stats.clone()} />
            <TunnelTable rows={view.tunnels.clone()} total={view.n_tunnel_rows} offset={view.offset} {on_page} />
            <EndpointChanges rows={view.endpoint_changes.clone()} total={view.n_endpoint_rows} />
            <LoadReport files={view.files.clone()} />
        </div>
    }
}
