//! `intake`: see `intake --help` and the README.

use clap::Parser;

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
