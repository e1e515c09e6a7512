//! The engine worker's entry point.

// Counted, for the benchmark's heap figures (a relaxed add per allocation).
#[global_allocator]
static ALLOC: tunnelscope_core::heap::Counting = tunnelscope_core::heap::Counting;

fn main() {
    console_error_panic_hook::set_once();
    tunnelscope_app::worker::heap::expose();
    tunnelscope_app::worker::profile::expose();
    tunnelscope_app::worker::engine::run_worker();
}
