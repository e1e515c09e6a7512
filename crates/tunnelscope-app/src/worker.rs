//! The engine's web workers: the owner of the dataset and its parse helpers.

pub mod engine;
pub mod heap;
pub mod profile;
pub mod raw_source;
