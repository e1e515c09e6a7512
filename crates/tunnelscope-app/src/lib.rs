//! tunnelscope-app: the Yew UI and the web worker engine. Glue only: every rule about
//! CloudTrail, accounting and EICE lives in `tunnelscope-core`.
//!
//! The modules follow the threads: [`page`] runs on the UI thread, [`worker`] in the engine's
//! web workers, and [`protocol`] is the one language between them.

pub mod page;
pub mod protocol;
pub mod worker;

pub use page::app::App;
// Paths kept from before the modules were grouped by thread (the browser tests and the view
// building use them).
pub use page::{components, state};
pub use worker::{profile, view};
