//! The browser app's entry point (built by Trunk).

fn main() {
    frontend::start();
}
