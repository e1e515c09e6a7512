//! The UI thread: the root component, its state, hooks and components, and the worker pool.

pub mod app;
pub mod components;
pub mod fmt;
pub mod hooks;
pub mod i18n;
pub mod partial_views;
pub mod pool;
pub mod progress;
pub mod state;
pub mod tasks;
pub mod time_scale;
pub mod virtual_scroll;
