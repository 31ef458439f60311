//! [`ClientConfig`]: where the server is and how to talk to it.

use ferrocrud_shared::user::USER_SERVICE;

/// The batch size used when none is configured, as in `@eicrud/client`.
pub const DEFAULT_BATCH_SIZE: usize = 200;

/// How a [`Client`](crate::Client) reaches its server.
///
/// Build it with [`ClientConfig::new`] and the `with_*` methods, or set the
/// public fields.
///
/// # Examples
///
/// ```
/// use ferrocrud_client::ClientConfig;
///
/// let config = ClientConfig::new("https://api.example.com")
///     .with_user_service("account")
///     .with_batch_size(50);
/// assert_eq!(config.user_service, "account");
/// assert!(!config.allow_insecure_url);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The server's base URL, e.g. `https://api.example.com`. A path prefix
    /// is kept: routes go under `<url>/crud/...`.
    pub url: String,
    /// The service that answers `login`, `check_jwt` and `logout`, and that
    /// commands of the built-in user service are sent to; `user` by default.
    pub user_service: String,
    /// Send credentials (the stored token, a login) over plain `http` to hosts
    /// other than `localhost`, `127.0.0.1` and `[::1]`; `false` by default.
    pub allow_insecure_url: bool,
    /// The entities' id field, where the `*_in` calls put their id list;
    /// `id` by default.
    pub id_field: String,
    /// Items per request for batch calls and id lists; 200 by default, 0 for
    /// one request whatever the size. A smaller `maxBatchSize` announced by
    /// the server (error codes 12 and 13) takes over for the rest of the call.
    pub batch_size: usize,
}

impl ClientConfig {
    /// A configuration for the server at `url`, with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            user_service: USER_SERVICE.to_owned(),
            allow_insecure_url: false,
            id_field: "id".to_owned(),
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }

    /// Sets the user service's name.
    #[must_use]
    pub fn with_user_service(mut self, name: impl Into<String>) -> Self {
        self.user_service = name.into();
        self
    }

    /// Sets the entities' id field.
    #[must_use]
    pub fn with_id_field(mut self, field: impl Into<String>) -> Self {
        self.id_field = field.into();
        self
    }

    /// Sets the batch size (0: no chunking).
    #[must_use]
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    /// Allows sending the token and login credentials over plain `http` to
    /// any host, where anyone on the path can read them. For test networks
    /// only.
    #[must_use]
    pub fn danger_allow_insecure_url(mut self) -> Self {
        self.allow_insecure_url = true;
        self
    }
}
