//! tunnelscope-app: the Yew UI and the web worker engine. Glue only: every rule about
//! CloudTrail, accounting and EICE lives in `tunnelscope-core`.

pub mod app;
pub mod components;
pub mod engine;
pub mod fmt;
pub mod heap;
pub mod hooks;
pub mod pool;
pub mod profile;
pub mod protocol;
pub mod raw_source;
pub mod state;
pub mod time_scale;
pub mod view;
pub mod virtual_scroll;

pub use app::App;
