//! The engine worker's entry point.

// Counted, for the benchmark's heap figures (a relaxed add per allocation).
#[global_allocator]
static ALLOC: tunnelscope_core::heap::Counting = tunnelscope_core::heap::Counting;

fn main() {
    console_error_panic_hook::set_once();
    tunnelscope_app::heap::expose();
    tunnelscope_app::profile::expose();
    tunnelscope_app::engine::run_worker();
}
