//! What the binary does: serve, print the OpenAPI document, print the
//! settings, or run the migrations.

use std::path::Path;

use ferrocrud::http::request_id::ACCESS_TARGET;
use tracing_subscriber::EnvFilter;

use crate::settings::{Config, Inputs, LogFormat, Settings};

/// Where the generated JWT secret is kept.
const DATA_DIR: &str = "data";

/// The settings of the working directory and the environment.
fn config() -> anyhow::Result<Config> {
    Ok(Config::load(&Inputs::from_process(Path::new(DATA_DIR))?)?)
}

/// Logs to standard error: text for a console, or with `LOG_FORMAT=json`
/// one JSON object per line, with one line per request (the access log)
/// and every event of a request naming its `request_id`. `RUST_LOG`
/// overrides the default filter (`info`; the text format leaves the access
/// log out).
fn init_logs(format: LogFormat) {
    let default = match format {
        LogFormat::Json => "info".to_owned(),
        LogFormat::Text => format!("info,{ACCESS_TARGET}=warn"),
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => logs.init(),
    }
}

/// Serves until SIGINT or SIGTERM, with the settings: read and checked
/// before logging starts.
///
/// # Errors
///
/// Bad settings, naming the key and its source, or the error that stopped
/// the server.
pub async fn serve() -> anyhow::Result<()> {
    let config = config()?;
    init_logs(config.log_format());
    let settings = config.into_settings()?;
    let app = crate::build(&settings).await?;
    if let (Some(address), Some(metrics)) = (settings.metrics_addr, app.metrics()) {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tracing::info!("metrics on http://{address}/metrics");
        tokio::spawn(metrics.clone().serve(listener));
    }
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!("{} listening on http://{address}", env!("CARGO_PKG_NAME"));
    app.serve_with_shutdown_signals(listener).await?;
    tracing::info!("{} stopped", env!("CARGO_PKG_NAME"));
    Ok(())
}

/// Prints the OpenAPI document, built on a throw-away in-memory database.
///
/// # Errors
///
/// An application that does not build, or standard output closed.
pub async fn export_openapi() -> anyhow::Result<()> {
    init_logs(LogFormat::Text);
    let app = crate::build(&Settings::in_memory("export only")).await?;
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, app.openapi().as_bytes())?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}

/// Runs the migrations as `args` say (`up`, `down [STEPS]`, `status`), on
/// the settings' database.
///
/// # Errors
///
/// Unknown arguments, bad settings, a database that cannot be reached, or a
/// migration that fails.
pub async fn migrate(args: &[String]) -> anyhow::Result<()> {
    init_logs(LogFormat::Text);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::migration::run(&args).await
}

/// Prints each effective setting and its source, secrets redacted.
///
/// # Errors
///
/// Bad settings, naming the key and its source, or standard output closed.
pub fn print_config() -> anyhow::Result<()> {
    let config = config()?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), config.to_string().as_bytes())?;
    Ok(())
}
