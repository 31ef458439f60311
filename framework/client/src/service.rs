//! [`ServiceClient`]: the CRUD operations of one service, typed by its entity.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

use ferrocrud_shared::{CrudOptions, DeleteResponse, FindResponse, PatchResponse};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::{Client, options_json};
use crate::error::ClientError;
use crate::paging;
use crate::wire::{self, DeleteAnswer, PatchAnswer, Request};

/// The CRUD operations of one service, whose entities are `T`.
///
/// Made by [`Client::service`]; cloning is cheap and clones share the
/// client's connection pool and session. Queries and data are anything
/// [`Serialize`]: a `serde_json::Value`, the entity itself, a struct of the
/// fields to match or change, or a reference to one of those.
///
/// Every call takes `options` last: `None`, or a [`CrudOptions`].
///
/// Every call is sent with the session's token, if one is stored. When the
/// server answers 401 to a call sent with a token, the token is dropped and
/// the call is sent again once, as a guest, as `@eicrud/client` does: the
/// caller then sees the guest's answer (often a 403).
///
/// # Examples
///
/// ```no_run
/// use ferrocrud_client::{Client, ClientConfig, CrudOptions, Resource};
/// use serde::{Deserialize, Serialize};
/// use serde_json::json;
///
/// #[derive(Debug, Serialize, Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Post {
///     id: String,
///     owner: String,
///     title: String,
/// }
///
/// impl Resource for Post {
///     const SERVICE: &'static str = "post";
/// }
///
/// # async fn run() -> Result<(), ferrocrud_client::ClientError> {
/// let client = Client::new(ClientConfig::new("https://api.example.com"))?;
/// let posts = client.service::<Post>();
///
/// let post = posts.create(json!({"owner": "u1", "title": "Hello"}), None).await?;
/// let mine = posts.find_all(json!({"owner": "u1"}), None).await?;
/// let first = posts
///     .find(json!({"owner": "u1"}), CrudOptions { limit: Some(10), ..Default::default() })
///     .await?;
/// posts.patch_one(json!({"id": post.id, "owner": "u1"}), json!({"title": "Hi"}), None).await?;
/// # let _ = (mine, first);
/// # Ok(())
/// # }
/// ```
pub struct ServiceClient<T> {
    client: Client,
    name: Arc<str>,
    batch_size: usize,
    entity: PhantomData<fn() -> T>,
}

impl<T> Clone for ServiceClient<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            name: Arc::clone(&self.name),
            batch_size: self.batch_size,
            entity: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ServiceClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("name", &self.name)
            .field("entity", &std::any::type_name::<T>())
            .field("batch_size", &self.batch_size)
            .field("client", &self.client)
            .finish()
    }
}

impl<T> ServiceClient<T>
where
    T: Serialize + DeserializeOwned,
{
    pub(crate) fn new(client: Client, name: String) -> Self {
        let batch_size = client.config_batch_size();
        Self {
            client,
            name: name.into(),
            batch_size,
            entity: PhantomData,
        }
    }

    /// The service's name, as in the route.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The root client (for commands and auth).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Items per request for batch calls and id lists (0: no chunking).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// This service client, with another batch size (0: no chunking).
    #[must_use]
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    // ------------------------------------------------------------------ create

    /// Creates one entity: `POST /crud/s/{service}/one`, `data` as the body.
    /// Answers the created entity.
    ///
    /// # Errors
    ///
    /// [`ClientError::Api`] for an error answer (validation 400, forbidden
    /// 403, ...); [`ClientError::Decode`] when the answer is not a `T`.
    pub async fn create(
        &self,
        data: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<T, ClientError> {
        let body = wire::to_json(&data, "data")?;
        let options = options_json(options.into())?;
        let request = self.request(Method::POST, "one", options.as_deref(), None, Some(body));
        self.call(&request).await
    }

    /// Creates many entities: `POST /crud/s/{service}/batch`, in chunks of
    /// [`batch_size`](ServiceClient::batch_size) items sent one after the
    /// other. Answers the created entities, in order.
    ///
    /// When the server refuses a chunk with code 13 and a smaller
    /// `maxBatchSize`, that chunk and the rest are sent again in chunks of
    /// that size. An empty list sends nothing.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create). Chunks sent before the failing
    /// one stay created.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future between chunks leaves the chunks already sent
    /// created.
    pub async fn create_batch<D: Serialize>(
        &self,
        items: impl IntoIterator<Item = D>,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Vec<T>, ClientError> {
        let items = values(items, "data")?;
        let options = options_json(options.into())?;
        let (items, options) = (&items, options.as_deref());
        let created = self
            .chunked(items.len(), move |range| async move {
                let body = wire::to_json(&items[range], "data")?;
                let request = self.request(Method::POST, "batch", options, None, Some(body));
                self.call::<Vec<T>>(&request).await
            })
            .await?;
        Ok(created.into_iter().flatten().collect())
    }

    // -------------------------------------------------------------------- read

    /// Finds one entity: `GET /crud/s/{service}/one`. Answers `None` when
    /// nothing matches.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn find_one(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Option<T>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        let options = wire::to_json(&options.into().unwrap_or_default(), "options")?;
        let request = self.request(Method::GET, "one", Some(&options), Some(&query), None);
        self.call(&request).await
    }

    /// Finds one page of entities: `GET /crud/s/{service}/many`. The answer
    /// holds the page, the number of matches and the page size the server
    /// applied (it may be smaller than `options.limit`).
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn find(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<FindResponse<T>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        self.page("many", &query, &options.into().unwrap_or_default())
            .await
    }

    /// Finds every matching entity, following pages: when the server's page
    /// is smaller than `options.limit` (or no limit was asked for) and more
    /// rows match, asks for the next ones with `offset` until `total` (or
    /// `options.limit` rows) are read, as `@eicrud/client`'s `find` does.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn find_all(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Vec<T>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        let options = options.into().unwrap_or_default();
        self.all_pages("many", &query, &options).await
    }

    /// The ids of every matching entity: `GET /crud/s/{service}/ids`,
    /// following pages as [`find_all`](ServiceClient::find_all) does.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn find_ids(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Vec<String>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        let options = options.into().unwrap_or_default();
        self.all_pages("ids", &query, &options).await
    }

    /// The entities with the given ids: `GET /crud/s/{service}/in`, the ids
    /// under the [`id_field`](crate::ClientConfig::id_field) of `query`,
    /// whose other keys (e.g. the owner a rule asks for) are sent along.
    /// `query` is a JSON object, or `()` for none.
    ///
    /// Ids are sent in chunks of [`batch_size`](ServiceClient::batch_size)
    /// (shrunk when the server answers code 12 with a smaller
    /// `maxBatchSize`), and each chunk's pages are followed. An empty id list
    /// sends nothing.
    ///
    /// # Errors
    ///
    /// [`ClientError::NotAnObject`] when `query` is not an object; otherwise
    /// as [`create`](ServiceClient::create).
    pub async fn find_in<I>(
        &self,
        ids: I,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Vec<T>, ClientError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ids = id_list(ids);
        let base = object(query)?;
        let options = options.into().unwrap_or_default();
        let (ids, base, options) = (&ids, &base, &options);
        let pages = self
            .chunked(ids.len(), move |range| async move {
                let query = self.in_query(base, &ids[range])?;
                self.all_pages::<T>("in", &query, options).await
            })
            .await?;
        Ok(pages.into_iter().flatten().collect())
    }

    // ------------------------------------------------------------------ update

    /// Updates every entity matching `query` with `data`:
    /// `PATCH /crud/s/{service}/many`. Answers how many changed.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn patch(
        &self,
        query: impl Serialize,
        data: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<PatchResponse<T>, ClientError> {
        self.update("many", query, data, options.into()).await
    }

    /// Updates the one entity matching `query` with `data`:
    /// `PATCH /crud/s/{service}/one`. With `returnUpdatedEntity`, the answer
    /// holds the entity after the change.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create); the server answers code 18 when
    /// nothing matches.
    pub async fn patch_one(
        &self,
        query: impl Serialize,
        data: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<PatchResponse<T>, ClientError> {
        self.update("one", query, data, options.into()).await
    }

    /// Updates the entities with the given ids: `PATCH /crud/s/{service}/in`,
    /// ids chunked as in [`find_in`](ServiceClient::find_in). Answers the
    /// number changed, summed over the chunks.
    ///
    /// # Errors
    ///
    /// As [`find_in`](ServiceClient::find_in). Chunks sent before the
    /// failing one stay applied.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future between chunks leaves the chunks already sent
    /// applied.
    pub async fn patch_in<I>(
        &self,
        ids: I,
        query: impl Serialize,
        data: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<PatchResponse<T>, ClientError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ids = id_list(ids);
        let base = object(query)?;
        let body = wire::to_json(&data, "data")?;
        let options = options_json(options.into())?;
        let (ids, base, body, options) = (&ids, &base, &body, options.as_deref());
        let answers = self
            .chunked(ids.len(), move |range| async move {
                let query = self.in_query(base, &ids[range])?;
                let request = self.request(
                    Method::PATCH,
                    "in",
                    options,
                    Some(&query),
                    Some(body.clone()),
                );
                self.call::<PatchAnswer<T>>(&request).await
            })
            .await?;
        Ok(PatchResponse {
            count: answers.iter().map(|a| a.count).sum(),
            updated: None,
        })
    }

    /// Applies one update per `(query, data)` pair:
    /// `PATCH /crud/s/{service}/batch` with `[{"query":..,"data":..},..]`,
    /// chunked as [`create_batch`](ServiceClient::create_batch) is. Answers
    /// one result per pair, in order.
    ///
    /// # Errors
    ///
    /// As [`create_batch`](ServiceClient::create_batch).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future between chunks leaves the chunks already sent
    /// applied.
    pub async fn patch_batch<Q, D>(
        &self,
        items: impl IntoIterator<Item = (Q, D)>,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<Vec<PatchResponse<T>>, ClientError>
    where
        Q: Serialize,
        D: Serialize,
    {
        let items = items
            .into_iter()
            .map(|(query, data)| {
                let mut item = Map::new();
                item.insert("query".to_owned(), wire::to_value(query, "query")?);
                item.insert("data".to_owned(), wire::to_value(data, "data")?);
                Ok(Value::Object(item))
            })
            .collect::<Result<Vec<Value>, ClientError>>()?;
        let options = options_json(options.into())?;
        let (items, options) = (&items, options.as_deref());
        let answers = self
            .chunked(items.len(), move |range| async move {
                let body = wire::to_json(&items[range], "data")?;
                let request = self.request(Method::PATCH, "batch", options, None, Some(body));
                self.call::<Vec<PatchAnswer<T>>>(&request).await
            })
            .await?;
        Ok(answers
            .into_iter()
            .flatten()
            .map(PatchResponse::from)
            .collect())
    }

    // ------------------------------------------------------------------ delete

    /// Deletes every entity matching `query`: `DELETE /crud/s/{service}/many`.
    /// Answers how many were deleted.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn delete(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<DeleteResponse<T>, ClientError> {
        self.remove("many", query, options.into()).await
    }

    /// Deletes the one entity matching `query`: `DELETE /crud/s/{service}/one`.
    /// With `returnUpdatedEntity`, the answer holds the deleted entity.
    ///
    /// # Errors
    ///
    /// As [`create`](ServiceClient::create).
    pub async fn delete_one(
        &self,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<DeleteResponse<T>, ClientError> {
        self.remove("one", query, options.into()).await
    }

    /// Deletes the entities with the given ids: `DELETE /crud/s/{service}/in`,
    /// ids chunked as in [`find_in`](ServiceClient::find_in). Answers the
    /// number deleted, summed over the chunks.
    ///
    /// # Errors
    ///
    /// As [`find_in`](ServiceClient::find_in). Chunks sent before the
    /// failing one stay deleted.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future between chunks leaves the chunks already sent
    /// deleted.
    pub async fn delete_in<I>(
        &self,
        ids: I,
        query: impl Serialize,
        options: impl Into<Option<CrudOptions>>,
    ) -> Result<DeleteResponse<T>, ClientError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ids = id_list(ids);
        let base = object(query)?;
        let options = options_json(options.into())?;
        let (ids, base, options) = (&ids, &base, options.as_deref());
        let answers = self
            .chunked(ids.len(), move |range| async move {
                let query = self.in_query(base, &ids[range])?;
                let request = self.request(Method::DELETE, "in", options, Some(&query), None);
                self.call::<DeleteAnswer<T>>(&request).await
            })
            .await?;
        Ok(DeleteResponse {
            count: answers.iter().map(|a| a.count).sum(),
            deleted: None,
        })
    }

    // ---------------------------------------------------------------- helpers

    fn request(
        &self,
        method: Method,
        route: &str,
        options: Option<&str>,
        query: Option<&str>,
        body: Option<String>,
    ) -> Request {
        Request {
            method,
            url: self.client.url(&[&self.name, route], options, query),
            body: body.map(String::into_bytes),
        }
    }

    async fn call<R: DeserializeOwned>(&self, request: &Request) -> Result<R, ClientError> {
        self.client.send_session(request).await?.decode()
    }

    async fn update(
        &self,
        route: &str,
        query: impl Serialize,
        data: impl Serialize,
        options: Option<CrudOptions>,
    ) -> Result<PatchResponse<T>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        let body = wire::to_json(&data, "data")?;
        let options = options_json(options)?;
        let request = self.request(
            Method::PATCH,
            route,
            options.as_deref(),
            Some(&query),
            Some(body),
        );
        Ok(self.call::<PatchAnswer<T>>(&request).await?.into())
    }

    async fn remove(
        &self,
        route: &str,
        query: impl Serialize,
        options: Option<CrudOptions>,
    ) -> Result<DeleteResponse<T>, ClientError> {
        let query = wire::to_json(&query, "query")?;
        let options = options_json(options)?;
        let request = self.request(
            Method::DELETE,
            route,
            options.as_deref(),
            Some(&query),
            None,
        );
        Ok(self.call::<DeleteAnswer<T>>(&request).await?.into())
    }

    /// One page of a `GET` list route; `options` is always sent.
    async fn page<R: DeserializeOwned>(
        &self,
        route: &str,
        query: &str,
        options: &CrudOptions,
    ) -> Result<FindResponse<R>, ClientError> {
        let options = wire::to_json(options, "options")?;
        let request = self.request(Method::GET, route, Some(&options), Some(query), None);
        self.call(&request).await
    }

    /// Every row of a `GET` list route, following pages.
    async fn all_pages<R: DeserializeOwned>(
        &self,
        route: &str,
        query: &str,
        options: &CrudOptions,
    ) -> Result<Vec<R>, ClientError> {
        paging::follow_pages(options, |page| async move {
            self.page(route, query, &page).await
        })
        .await
    }

    /// Runs `send` over `0..len` in chunks of the batch size.
    async fn chunked<R, F, Fut>(&self, len: usize, send: F) -> Result<Vec<R>, ClientError>
    where
        F: FnMut(Range<usize>) -> Fut,
        Fut: Future<Output = Result<R, ClientError>>,
    {
        paging::in_chunks(self.batch_size, len, send).await
    }

    /// The `query` of an `in` route: the caller's keys, then the ids.
    fn in_query(&self, base: &Map<String, Value>, ids: &[String]) -> Result<String, ClientError> {
        let mut query = base.clone();
        let ids = ids.iter().cloned().map(Value::String).collect();
        query.insert(self.client.config().id_field.clone(), Value::Array(ids));
        wire::to_json(&query, "query")
    }
}

fn values<D: Serialize>(
    items: impl IntoIterator<Item = D>,
    what: &'static str,
) -> Result<Vec<Value>, ClientError> {
    items
        .into_iter()
        .map(|item| wire::to_value(item, what))
        .collect()
}

fn id_list<I>(ids: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    ids.into_iter().map(|id| id.as_ref().to_owned()).collect()
}

/// The query of an `in` call as an object (`null` reads as `{}`).
fn object(query: impl Serialize) -> Result<Map<String, Value>, ClientError> {
    match wire::to_value(query, "query")? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(ClientError::NotAnObject { what: "query" }),
    }
}
