//! The blog server. Run with `cargo run -p blog` (or `blog serve`);
//! `blog export openapi` prints its OpenAPI document, `blog config print`
//! its effective settings and where each came from, and `blog migrate
//! up|down|status` runs its migrations.

use std::path::Path;
use std::process::ExitCode;

use blog::settings::{Config, Inputs, LogFormat, Settings};
use clap::{Parser, Subcommand};
use ferrocrud::http::request_id::ACCESS_TARGET;
use tracing_subscriber::EnvFilter;

/// mimalloc serves the many small, short-lived allocations of the request
/// path faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where the defaults' files live: database, mailbox, generated secret.
const DATA_DIR: &str = "data";

/// The blog example server.
#[derive(Debug, Parser)]
#[command(name = "blog", version)]
struct Cli {
    /// What to do; serving by default.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until SIGINT or SIGTERM (the default).
    Serve,
    /// Print a document describing the blog.
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    // mimalloc asks for transparent huge pages, which back every 2 MiB its
    // arenas touch: 10-20 MiB more resident memory for a server this size,
    // for a few TLB misses saved. Turned off before the runtime starts.
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("blog: cannot turn off transparent huge pages: {err}");
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run_server(),
        Command::Export(Export::Openapi) => in_runtime(export_openapi()),
        Command::Config(ConfigCommand::Print) => print_config(),
        Command::Migrate { args } => in_runtime(migrate(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("blog: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn in_runtime(work: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(work)
}

/// The settings of the working directory and the environment.
fn config() -> anyhow::Result<Config> {
    Ok(Config::load(&Inputs::from_process(Path::new(DATA_DIR))?)?)
}

/// Logs to standard error: text for a console, or with `LOG_FORMAT=json`
/// one JSON object per line, with one line per request (the access log,
/// target [`ACCESS_TARGET`]) and every event of a request naming its
/// `request_id`. `RUST_LOG` overrides the default filter (`info`; the text
/// format leaves the access log out).
///
/// Built with the `otel` feature and run with `OTEL_EXPORTER_OTLP_ENDPOINT`
/// set, a server (`export`) also sends its spans to that OpenTelemetry
/// collector, with the access log's target on whatever the format; call it
/// outside the runtime then (the exporter's client is a blocking one), and
/// drop the answer once the runtime is gone.
fn init_logs(format: LogFormat, export: bool) -> anyhow::Result<Telemetry> {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let otel = cfg!(feature = "otel")
        && export
        && std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let default = match format {
        LogFormat::Text if !otel => format!("info,{ACCESS_TARGET}=warn"),
        LogFormat::Json | LogFormat::Text => "info".to_owned(),
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let (json, text) = match format {
        LogFormat::Json => {
            let json = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false);
            (Some(json), None)
        }
        LogFormat::Text => {
            let text = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
            (None, Some(text))
        }
    };
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .with(text);
    #[cfg(feature = "otel")]
    if otel {
        let (layer, guard) = ferrocrud::telemetry::otel_layer("blog")?;
        registry.with(layer).try_init()?;
        return Ok(Telemetry {
            _guard: Some(guard),
        });
    }
    registry.try_init()?;
    Ok(Telemetry::default())
}

/// What keeps the OpenTelemetry exporter running (feature `otel`); dropping
/// it sends the last spans.
#[derive(Default)]
struct Telemetry {
    #[cfg(feature = "otel")]
    _guard: Option<ferrocrud::telemetry::OtelGuard>,
}

/// Reads the settings, starts logging (and the OpenTelemetry exporter,
/// outside the runtime, as its blocking client needs), then serves.
fn run_server() -> anyhow::Result<()> {
    let config = config()?;
    // Kept until the runtime is gone: dropping it sends the last spans.
    let _telemetry = init_logs(config.log_format(), true)?;
    in_runtime(serve(config))
}

/// Serves with the settings, and the metrics on their own address when set.
async fn serve(config: Config) -> anyhow::Result<()> {
    let settings = config.into_settings()?;
    let app = blog::build(&settings).await?;
    if let (Some(address), Some(metrics)) = (settings.metrics_addr, app.metrics()) {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tracing::info!("metrics on http://{address}/metrics");
        tokio::spawn(metrics.clone().serve(listener));
    }
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!("blog listening on http://{address}");
    app.serve_with_shutdown_signals(listener).await?;
    tracing::info!("blog stopped");
    Ok(())
}

/// Prints the OpenAPI document, built on a throw-away in-memory database.
async fn export_openapi() -> anyhow::Result<()> {
    init_logs(LogFormat::Text, false)?;
    let settings = Settings {
        mail_log: std::env::temp_dir().join("blog-export-mail.jsonl"),
        ..Settings::in_memory("export only")
    };
    let app = blog::build(&settings).await?;
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, app.openapi().as_bytes())?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}

/// Runs the migrations as `args` say, on the settings' database.
async fn migrate(args: Vec<String>) -> anyhow::Result<()> {
    init_logs(LogFormat::Text, false)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    blog::migrate::run(&args).await
}

/// Prints each effective setting and its source, secrets redacted.
fn print_config() -> anyhow::Result<()> {
    let config = config()?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), config.to_string().as_bytes())?;
    Ok(())
}
