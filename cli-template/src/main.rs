//! The ferrocrud-app server: `cargo run` serves on http://127.0.0.1:3000;
//! `cargo run -- export openapi` prints its OpenAPI document, `cargo run --
//! config print` its settings and where each came from, and `cargo run --
//! migrate up|down|status` runs its migrations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrocrud_app::server;

/// The ferrocrud-app server.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// What to do; serving by default.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until SIGINT or SIGTERM (the default).
    Serve,
    /// Print a document describing the server.
    #[command(subcommand)]
    Export(Export),
    /// Inspect the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the migrations by hand: `up`, `down [STEPS]`, `status`.
    Migrate {
        /// `up`, `down`, `down STEPS` or `status` (checked by the migration
        /// runner, which prints its usage).
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum Export {
    /// The OpenAPI document, to standard output.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Each effective value and its source (default, file or environment
    /// variable), secrets redacted.
    Print,
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve().await,
        Command::Export(Export::Openapi) => server::export_openapi().await,
        Command::Config(ConfigCommand::Print) => server::print_config(),
        Command::Migrate { args } => server::migrate(&args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}: {err:#}", env!("CARGO_PKG_NAME"));
            ExitCode::FAILURE
        }
    }
}
