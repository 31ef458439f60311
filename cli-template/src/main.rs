//! The ferrocrud-app server: `cargo run` serves on http://127.0.0.1:3000;
//! `cargo run -- export openapi` prints its OpenAPI document, and `cargo run
//! -- migrate up|down|status` runs its migrations.

use ferrocrud_app::server;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    server::run(&args).await
}
