//! [`TestApp`]: the application on its own in-memory database and port.

use ferrocrud_app::build;
use ferrocrud_app::settings::Settings;
use ferrocrud_client::shared::user::{CreateAccountDto, LoginDto};
use ferrocrud_client::{Client, ClientConfig};

/// The password of the accounts tests create.
pub const PASSWORD: &str = "pass-word-123";

/// The application, listening on a loopback port, on a fresh in-memory
/// SQLite database. It stops with the test's runtime.
#[derive(Debug)]
pub struct TestApp {
    url: String,
}

impl TestApp {
    /// Builds the application and serves it in the background.
    ///
    /// # Panics
    ///
    /// If the application cannot be built or the port cannot be bound.
    pub async fn start() -> Self {
        let settings = Settings::in_memory("a secret for tests only");
        let app = build(&settings).await.expect("the app builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(app.serve(listener, std::future::pending()));
        Self { url }
    }

    /// A guest client of the application.
    ///
    /// # Panics
    ///
    /// Never: the URL is a loopback URL.
    pub fn client(&self) -> Client {
        Client::new(ClientConfig::new(self.url.as_str())).expect("a loopback URL")
    }

    /// Creates an account of role `user` with [`PASSWORD`] and answers its
    /// id.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub async fn create_account(&self, email: &str) -> String {
        self.client()
            .cmd_s(&CreateAccountDto {
                email: email.into(),
                password: PASSWORD.into(),
                role: "user".into(),
                username: None,
                log_me_in: None,
                profile: Default::default(),
            })
            .await
            .expect("account created")
            .user_id
    }

    /// A client logged in as a new account of role `user`, and the
    /// account's id.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub async fn logged_in(&self, email: &str) -> (Client, String) {
        let id = self.create_account(email).await;
        let client = self.client();
        let login = client
            .login(&LoginDto {
                email: email.into(),
                password: PASSWORD.into(),
                two_fa_code: None,
                expires_in_sec: None,
            })
            .await
            .expect("logged in");
        assert_eq!(login.user_id, id);
        (client, id)
    }
}
