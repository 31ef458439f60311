//! Logs in to a running blog example as a moderator and times a user out,
//! with the typed DTOs of the user service.
//!
//! Start the blog with a moderator (`SEED_MOD_EMAIL=mod@blog.test
//! SEED_MOD_PASSWORD=moderator-pass-1 cargo run -p blog`), then run
//! `cargo run -p ferrocrud-client --example timeout_user -- USER_ID`.
//! `BLOG_URL`, `MOD_EMAIL` and `MOD_PASSWORD` override the defaults.

use ferrocrud_client::shared::user::{LoginDto, TimeoutUserDto};
use ferrocrud_client::{Client, ClientConfig, ClientError};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ClientError> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let Some(user_id) = std::env::args().nth(1) else {
        eprintln!("usage: timeout_user USER_ID");
        std::process::exit(2);
    };
    let client = Client::new(ClientConfig::new(var("BLOG_URL", "http://127.0.0.1:3000")))?;
    let login = client
        .login(&LoginDto {
            email: var("MOD_EMAIL", "mod@blog.test"),
            password: var("MOD_PASSWORD", "moderator-pass-1"),
            two_fa_code: None,
            expires_in_sec: None,
        })
        .await?;
    eprintln!("logged in as {}", login.user_id);
    client
        .cmd_s(&TimeoutUserDto {
            user_id: user_id.clone(),
            timeout_duration_minutes: 10,
            allowed_roles: vec!["user".into()],
        })
        .await?;
    eprintln!("{user_id} is timed out for 10 minutes");
    Ok(())
}
