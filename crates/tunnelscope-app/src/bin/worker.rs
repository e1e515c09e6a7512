//! The engine worker's entry point.

fn main() {
    console_error_panic_hook::set_once();
    tunnelscope_app::engine::run_worker();
}
