//! The blog server. Run with `cargo run -p blog`; `cargo run -p blog -- export
//! openapi` prints its OpenAPI document instead, and `cargo run -p blog --
//! migrate up|down|status` runs its migrations.

use std::path::Path;

use blog::settings::Settings;
use ferrocrud::http::request_id::ACCESS_TARGET;
use tracing_subscriber::EnvFilter;

/// mimalloc serves the many small, short-lived allocations of the request
/// path faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    // mimalloc asks for transparent huge pages, which back every 2 MiB its
    // arenas touch: 10-20 MiB more resident memory for a server this size,
    // for a few TLB misses saved. Turned off before the runtime starts.
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("blog: cannot turn off transparent huge pages: {err}");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// Logs to standard error: text for a console, or with `LOG_FORMAT=json`
/// one JSON object per line, with one line per request (the access log,
/// target [`ACCESS_TARGET`]) and every event of a request naming its
/// `request_id`. `RUST_LOG` overrides the default filter (`info`; the text
/// format leaves the access log out).
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

async fn run() -> anyhow::Result<()> {
    init_logs()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {}
        ["export", "openapi"] => return export_openapi().await,
        ["migrate", rest @ ..] => return blog::migrate::run(rest).await,
        _ => anyhow::bail!("usage: blog [export openapi | migrate up|down|status]"),
    }
    let settings = Settings::from_env(Path::new("data"))?;
    let app = blog::build(&settings).await?;
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!("blog listening on http://{address}");
    app.serve_with_shutdown_signals(listener).await?;
    tracing::info!("blog stopped");
    Ok(())
}

/// Prints the OpenAPI document, built on a throw-away in-memory database.
async fn export_openapi() -> anyhow::Result<()> {
    let settings = Settings {
        host: String::new(),
        port: 0,
        database_url: "sqlite::memory:".into(),
        database_pool_size: ferrocrud::storage::Db::DEFAULT_POOL_SIZE,
        jwt_secret: "export only".into(),
        mail_log: std::env::temp_dir().join("blog-export-mail.jsonl"),
        seeds: Vec::new(),
        login_throttle: None,
    };
    let app = blog::build(&settings).await?;
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, app.openapi().as_bytes())?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}
