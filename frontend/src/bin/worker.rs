//! The parse worker's entry point (built by Trunk as a Web Worker).

fn main() {
    frontend::worker::start();
}
