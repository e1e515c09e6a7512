//! The engine's web workers: the owner of the dataset and its parse helpers.

pub mod engine;
mod export;
pub mod heap;
mod helper;
mod owner;
pub mod profile;
mod progress;
pub mod raw_source;
mod read;
pub mod view;
