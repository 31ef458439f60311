//! [`Client`]: the connection to one server, its session, commands and auth.

use std::fmt;
use std::sync::Arc;

use ferrocrud_shared::user::{
    CheckJwtDto, CheckJwtResponseDto, LoginDto, LoginResponseDto, LogoutDto, USER_SERVICE,
};
use ferrocrud_shared::{Command, CrudOptions, Resource};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::service::ServiceClient;
use crate::token::{MemoryTokenStore, TokenStore};
use crate::wire::{self, Answer, Request};

/// How a command is sent.
///
/// A server may refuse a command over the wrong method: secure-only commands
/// need [`Post`](CommandMethod::Post), and [`Get`](CommandMethod::Get) works
/// only for commands that allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandMethod {
    /// `POST`, eicrud's "secure" mode (`cmdS`): the server re-reads the user.
    Post,
    /// `PATCH`, eicrud's normal mode (`cmd`).
    Patch,
    /// `GET`, with the DTO as the `query` parameter.
    Get,
}

impl CommandMethod {
    fn method(self) -> Method {
        match self {
            CommandMethod::Post => Method::POST,
            CommandMethod::Patch => Method::PATCH,
            CommandMethod::Get => Method::GET,
        }
    }
}

/// A client of one ferrocrud (or eicrud) server.
///
/// It holds the HTTP connection pool, the configuration and the session's
/// [`TokenStore`]. Cloning is cheap and clones share all three, as do the
/// [`ServiceClient`]s made with [`service`](Client::service).
///
/// # Examples
///
/// ```no_run
/// use ferrocrud_client::{Client, ClientConfig};
/// use ferrocrud_client::shared::user::LoginDto;
///
/// # async fn run() -> Result<(), ferrocrud_client::ClientError> {
/// let client = Client::new(ClientConfig::new("https://api.example.com"))?;
/// let login = client
///     .login(&LoginDto {
///         email: "ada@example.com".into(),
///         password: "correct horse".into(),
///         two_fa_code: None,
///         expires_in_sec: None,
///     })
///     .await?;
/// assert_eq!(client.check_jwt().await?, Some(login.user_id));
/// client.logout().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    base: Url,
    secure: bool,
    store: Arc<dyn TokenStore>,
}

/// Whether a request carries the session's token, and what a 401 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    /// Send the token if one is stored; on a 401 to a request sent with it,
    /// forget it and send the request again once, as a guest.
    RetryAsGuest,
    /// Send no token.
    Guest,
}

impl Client {
    /// A client for the server in `config`, with a fresh HTTP client and a
    /// [`MemoryTokenStore`].
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidUrl`] when `config.url` is not an absolute
    /// `http` or `https` URL.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let invalid = |reason| ClientError::InvalidUrl {
            url: config.url.clone(),
            reason,
        };
        let base = Url::parse(&config.url).map_err(|_| invalid("not an absolute URL"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if base.cannot_be_a_base() || base.host_str().is_none() {
            return Err(invalid("no host"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("a query or fragment is not allowed"));
        }
        let secure = wire::is_secure(&base);
        Ok(Client {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                config,
                base,
                secure,
                store: Arc::new(MemoryTokenStore::new()),
            }),
        })
    }

    /// This client, sending through `http` (to set timeouts, proxies,
    /// root certificates or default headers).
    #[must_use]
    pub fn with_http_client(self, http: reqwest::Client) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.http = http;
        Client {
            inner: Arc::new(inner),
        }
    }

    /// This client, keeping its session in `store` (which other clients may
    /// share).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ferrocrud_client::{Client, ClientConfig, MemoryTokenStore, TokenStore};
    ///
    /// let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    /// let a = Client::new(ClientConfig::new("https://a.example.com"))?.with_token_store(store.clone());
    /// let b = Client::new(ClientConfig::new("https://b.example.com"))?.with_token_store(store);
    /// a.token_store().set("token".into());
    /// assert_eq!(b.token_store().get().as_deref(), Some("token"));
    /// # Ok::<(), ferrocrud_client::ClientError>(())
    /// ```
    #[must_use]
    pub fn with_token_store(self, store: Arc<dyn TokenStore>) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.store = store;
        Client {
            inner: Arc::new(inner),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The session's token store.
    pub fn token_store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// A client of the service of `T`, named by its
    /// [`Resource::SERVICE`](crate::shared::Resource::SERVICE), whose
    /// entities are `T`.
    ///
    /// ```
    /// use ferrocrud_client::shared::Resource;
    /// use ferrocrud_client::{Client, ClientConfig};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Debug, Serialize, Deserialize)]
    /// struct Post { id: String, title: String }
    ///
    /// impl Resource for Post {
    ///     const SERVICE: &'static str = "post";
    /// }
    ///
    /// let client = Client::new(ClientConfig::new("https://api.example.com"))?;
    /// let posts = client.service::<Post>();
    /// assert_eq!(posts.name(), "post");
    /// # Ok::<(), ferrocrud_client::ClientError>(())
    /// ```
    pub fn service<T>(&self) -> ServiceClient<T>
    where
        T: Resource + Serialize + DeserializeOwned,
    {
        ServiceClient::new(self.clone(), T::SERVICE.to_owned())
    }

    /// A client of the service `name` (kebab-case, as in the route), whose
    /// entities are `T`: for services known only by name at run time. Use
    /// `serde_json::Value` for untyped access; prefer
    /// [`service`](Client::service) when a type names the service.
    ///
    /// ```
    /// use ferrocrud_client::{Client, ClientConfig};
    ///
    /// let client = Client::new(ClientConfig::new("https://api.example.com"))?;
    /// let profiles = client.service_named::<serde_json::Value>("user-profile");
    /// assert_eq!(profiles.name(), "user-profile");
    /// # Ok::<(), ferrocrud_client::ClientError>(())
    /// ```
    pub fn service_named<T>(&self, name: impl Into<String>) -> ServiceClient<T>
    where
        T: Serialize + DeserializeOwned,
    {
        ServiceClient::new(self.clone(), name.into())
    }

    // ---------------------------------------------------------------- commands

    /// Sends a command in secure mode (`POST /crud/s/{service}/cmd/{name}`),
    /// the DTO as the body.
    ///
    /// Commands of the built-in user service (`D::SERVICE == "user"`) go to
    /// the configured [`user_service`](ClientConfig::user_service).
    ///
    /// # Errors
    ///
    /// [`ClientError::Api`] for an error answer; a 401 to a call made with a
    /// token drops the token and the call is sent again as a guest, so the
    /// error seen is the guest's. [`ClientError::Decode`] when the answer is
    /// not a `D::Return` (an empty body reads as `null`, raw text as a JSON
    /// string).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use ferrocrud_client::Client;
    /// use ferrocrud_client::shared::user::CreateAccountDto;
    ///
    /// # async fn run(client: Client) -> Result<(), ferrocrud_client::ClientError> {
    /// let created = client
    ///     .cmd_s(&CreateAccountDto {
    ///         email: "ada@example.com".into(),
    ///         password: "correct horse".into(),
    ///         role: "user".into(),
    ///         username: None,
    ///         log_me_in: None,
    ///         profile: Default::default(),
    ///     })
    ///     .await?;
    /// println!("new user {}", created.user_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cmd_s<D: Command>(&self, dto: &D) -> Result<D::Return, ClientError> {
        self.command(CommandMethod::Post, dto, None).await
    }

    /// Sends a command in normal mode (`PATCH /crud/s/{service}/cmd/{name}`),
    /// the DTO as the body.
    ///
    /// # Errors
    ///
    /// As [`cmd_s`](Client::cmd_s).
    pub async fn cmd<D: Command>(&self, dto: &D) -> Result<D::Return, ClientError> {
        self.command(CommandMethod::Patch, dto, None).await
    }

    /// Sends a command with `GET /crud/s/{service}/cmd/{name}`, the DTO as
    /// the JSON `query` parameter. The command must allow GET.
    ///
    /// # Errors
    ///
    /// As [`cmd_s`](Client::cmd_s).
    pub async fn cmd_get<D: Command>(&self, dto: &D) -> Result<D::Return, ClientError> {
        self.command(CommandMethod::Get, dto, None).await
    }

    /// Sends a command with the given method and options.
    ///
    /// # Errors
    ///
    /// As [`cmd_s`](Client::cmd_s).
    pub async fn command<D: Command>(
        &self,
        method: CommandMethod,
        dto: &D,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<D::Return, ClientError> {
        let service = self.command_service(D::SERVICE);
        self.command_raw(method, service, D::NAME, dto, options)
            .await
    }

    /// Sends a command named by strings, for commands without a Rust DTO.
    ///
    /// ```no_run
    /// # async fn run(client: ferrocrud_client::Client) -> Result<(), ferrocrud_client::ClientError> {
    /// use ferrocrud_client::CommandMethod;
    /// use serde_json::{Value, json};
    ///
    /// let answer: Value = client
    ///     .command_raw(CommandMethod::Post, "post", "publish", json!({"postId": "p1"}), None)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`cmd_s`](Client::cmd_s).
    pub async fn command_raw<R: DeserializeOwned>(
        &self,
        method: CommandMethod,
        service: &str,
        name: &str,
        dto: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<R, ClientError> {
        let dto = wire::to_json(&dto, "dto")?;
        let options = options_json(options.into())?;
        let request = match method {
            CommandMethod::Get => {
                let url = self.url(&[service, "cmd", name], options.as_deref(), Some(&dto));
                Request {
                    method: method.method(),
                    url,
                    body: None,
                }
            }
            _ => {
                let url = self.url(&[service, "cmd", name], options.as_deref(), None);
                Request {
                    method: method.method(),
                    url,
                    body: Some(dto.into_bytes()),
                }
            }
        };
        self.send(&request, Session::RetryAsGuest).await?.decode()
    }

    /// The service a command of `service` goes to.
    fn command_service<'a>(&'a self, service: &'a str) -> &'a str {
        if service == USER_SERVICE {
            &self.inner.config.user_service
        } else {
            service
        }
    }

    // -------------------------------------------------------------------- auth

    /// Logs in: `PATCH /crud/s/{user_service}/cmd/login` with the DTO, and
    /// stores the answer's access token.
    ///
    /// The request carries no stored token (a stale one would make the
    /// server refuse the login), and is never retried.
    ///
    /// # Errors
    ///
    /// [`ClientError::InsecureUrl`] over plain http to a non-local host
    /// unless allowed; [`ClientError::Api`] for a refused login, e.g. 401
    /// with code 5 (invalid credentials), 2 (timed out) or 8 (2FA required),
    /// 425/429 with code 3. (`@eicrud/client` answers `undefined` on a 401.)
    pub async fn login(&self, dto: &LoginDto) -> Result<LoginResponseDto, ClientError> {
        self.check_secure()?;
        let request = self.user_command(dto)?;
        let answer = self.send(&request, Session::Guest).await?;
        let login: LoginResponseDto = answer.decode()?;
        self.inner.store.set(login.access_token.clone());
        Ok(login)
    }

    /// Checks the stored token: `PATCH /crud/s/{user_service}/cmd/check_jwt`
    /// with body `{}`. Answers the user's id, and stores the renewed token
    /// when the server sends one.
    ///
    /// Answers `None` without a request when no token is stored, and `None`
    /// (forgetting the token) when the server answers 401.
    ///
    /// # Errors
    ///
    /// [`ClientError::InsecureUrl`], [`ClientError::Transport`], and
    /// [`ClientError::Api`] for error answers other than 401.
    pub async fn check_jwt(&self) -> Result<Option<String>, ClientError> {
        let Some(token) = self.inner.store.get() else {
            return Ok(None);
        };
        let answer = match self
            .user_command_with(&CheckJwtDto::default(), &token)
            .await
        {
            Ok(answer) => answer,
            Err(err) if err.status() == Some(401) => {
                self.forget(&token);
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let checked: CheckJwtResponseDto = answer.decode()?;
        if let Some(renewed) = checked.access_token {
            self.inner.store.set(renewed);
        }
        Ok(Some(checked.user_id))
    }

    /// Logs out: `PATCH /crud/s/{user_service}/cmd/logout` with body `{}`
    /// and the stored token, then clears the store whatever the answer.
    /// Without a stored token, only clears.
    ///
    /// # Errors
    ///
    /// The request's error, other than a 401 (the session was over anyway);
    /// the token is forgotten all the same.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let Some(token) = self.inner.store.get() else {
            self.inner.store.clear();
            return Ok(());
        };
        let result = self.user_command_with(&LogoutDto::default(), &token).await;
        self.inner.store.clear();
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.status() == Some(401) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Asks whether the server is ready: `GET /crud/rdy`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Transport`] when the server cannot be reached,
    /// [`ClientError::Api`] for an error answer.
    pub async fn ready(&self) -> Result<bool, ClientError> {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["crud", "rdy"]);
        }
        let request = Request {
            method: Method::GET,
            url,
            body: None,
        };
        self.send(&request, Session::Guest).await?.decode()
    }

    /// Sends a command of the user service with `token`, never retried.
    async fn user_command_with<D: Command>(
        &self,
        dto: &D,
        token: &str,
    ) -> Result<Answer, ClientError> {
        self.check_secure()?;
        let request = self.user_command(dto)?;
        self.execute(&request, Some(token)).await?.success()
    }

    /// A `PATCH` to a command of the user service.
    fn user_command<D: Command>(&self, dto: &D) -> Result<Request, ClientError> {
        let body = wire::to_json(dto, "dto")?;
        let url = self.url(
            &[&self.inner.config.user_service, "cmd", D::NAME],
            None,
            None,
        );
        Ok(Request {
            method: Method::PATCH,
            url,
            body: Some(body.into_bytes()),
        })
    }

    // ------------------------------------------------------------- transport

    /// `<base>/crud/s/<segments...>?options=..&query=..`.
    pub(crate) fn url(&self, segments: &[&str], options: Option<&str>, query: Option<&str>) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["crud", "s"]).extend(segments);
        }
        url.set_query(wire::query_string(options, query).as_deref());
        url
    }

    pub(crate) fn config_batch_size(&self) -> usize {
        self.inner.config.batch_size
    }

    /// Sends a CRUD call or a command: with the stored token if any; on a 401
    /// to a request sent with it, the token is dropped and the request sent
    /// again once, as a guest.
    pub(crate) async fn send_session(&self, request: &Request) -> Result<Answer, ClientError> {
        self.send(request, Session::RetryAsGuest).await
    }

    async fn send(&self, request: &Request, session: Session) -> Result<Answer, ClientError> {
        let token = match session {
            Session::RetryAsGuest => self.inner.store.get(),
            Session::Guest => None,
        };
        if token.is_some() {
            self.check_secure()?;
        }
        let answer = self.execute(request, token.as_deref()).await?;
        if let (401, Some(token)) = (answer.status, &token) {
            self.forget(token);
            return self.execute(request, None).await?.success();
        }
        answer.success()
    }

    async fn execute(&self, request: &Request, token: Option<&str>) -> Result<Answer, ClientError> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone());
        if let Some(token) = token {
            let mut value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| ClientError::InvalidToken)?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?.to_vec();
        Ok(Answer { status, body })
    }

    /// Refuses credentials over plain http to a non-local host.
    fn check_secure(&self) -> Result<(), ClientError> {
        if self.inner.secure || self.inner.config.allow_insecure_url {
            Ok(())
        } else {
            Err(ClientError::InsecureUrl {
                url: self.inner.config.url.clone(),
            })
        }
    }

    /// Forgets `token` if it is still the stored one (another task may have
    /// logged in since it was read).
    fn forget(&self, token: &str) {
        if self.inner.store.get().as_deref() == Some(token) {
            self.inner.store.clear();
        }
    }
}

/// The `options` parameter: `None` when not given.
pub(crate) fn options_json(options: Option<CrudOptions>) -> Result<Option<String>, ClientError> {
    options.map(|o| wire::to_json(&o, "options")).transpose()
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("has_token", &self.inner.store.get().is_some())
            .finish_non_exhaustive()
    }
}
