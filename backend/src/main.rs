//! `intake`: see `intake --help` and the README.

use clap::Parser;

/// jemalloc rather than glibc's malloc: a large import allocates on the runtime's threads
/// and on each SQLite connection's own thread, and glibc kept a separate heap per thread,
/// each holding tens of MB of freed memory resident (peak RSS 220 MB on a 1M-row import).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = intake::cli::Cli::parse();
    match intake::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
