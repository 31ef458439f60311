//! What the binary does: serve, or print the OpenAPI document.

use std::path::Path;

use ferrocrud::http::request_id::ACCESS_TARGET;
use tracing_subscriber::EnvFilter;

use crate::settings::Settings;

/// Runs the command line `args` (without the program name): no argument
/// serves until SIGINT or SIGTERM; `export openapi` prints the OpenAPI
/// document; `migrate up|down [STEPS]|status` runs the migrations.
///
/// # Errors
///
/// Unknown arguments, bad settings, or the error that stopped the server.
pub async fn run(args: &[String]) -> anyhow::Result<()> {
    init_logs()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => serve().await,
        ["export", "openapi"] => export_openapi().await,
        ["migrate", ref rest @ ..] => crate::migration::run(rest).await,
        _ => anyhow::bail!(
            "usage: {} [export openapi | migrate up|down|status]",
            env!("CARGO_PKG_NAME")
        ),
    }
}

/// Logs to standard error: text for a console, or with `LOG_FORMAT=json`
/// one JSON object per line, with one line per request (the access log)
/// and every event of a request naming its `request_id`. `RUST_LOG`
/// overrides the default filter (`info`; the text format leaves the access
/// log out).
fn init_logs() -> anyhow::Result<()> {
    let json = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") | Err(_) => false,
        Ok(other) => anyhow::bail!("LOG_FORMAT must be `text` or `json`, not `{other}`"),
    };
    let default = if json {
        "info".to_owned()
    } else {
        format!("info,{ACCESS_TARGET}=warn")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    Ok(())
}

/// Serves with the settings of the environment.
async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env(Path::new("data"))?;
    let app = crate::build(&settings).await?;
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!("{} listening on http://{address}", env!("CARGO_PKG_NAME"));
    app.serve_with_shutdown_signals(listener).await?;
    tracing::info!("{} stopped", env!("CARGO_PKG_NAME"));
    Ok(())
}

/// Prints the OpenAPI document, built on a throw-away in-memory database.
async fn export_openapi() -> anyhow::Result<()> {
    let settings = Settings {
        host: String::new(),
        port: 0,
        database_url: "sqlite::memory:".into(),
        jwt_secret: "export only".into(),
    };
    let app = crate::build(&settings).await?;
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, app.openapi().as_bytes())?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}
