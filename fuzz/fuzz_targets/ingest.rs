//! libFuzzer entry: every input through the ingest entry points and the accounting checks.
//! Built and run by `cargo xtask fuzz` (coverage instrumentation on stable Rust).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tunnelscope_fuzz::check::check(data);
});
