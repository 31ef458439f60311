//! The [`Resource`] trait: a wire type that names the service serving it.

/// A type that names the service serving it: an entity's Model on the
/// server, its mirror on a client.
///
/// The name is written once, on the type, and read wherever the service is
/// addressed: `CrudService::<post::Entity>::new(db)` on the server,
/// `client.service::<Post>()` on a client, `type Service = Post` on a
/// [`Command`](crate::Command). It is resolved at compile time and costs
/// nothing per request.
///
/// # Examples
///
/// ```
/// use ferrocrud_shared::Resource;
///
/// /// A post, as clients read it.
/// struct Post {
///     id: String,
///     title: String,
/// }
///
/// impl Resource for Post {
///     const SERVICE: &'static str = "post";
/// }
///
/// assert_eq!(Post::SERVICE, "post");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name a service",
    note = "implement `ferrocrud_shared::Resource` for `{Self}` with `const SERVICE: &'static str = \"…\";` (the service's route name)"
)]
pub trait Resource {
    /// The service's name as it appears in routes (`/crud/s/{SERVICE}/…`),
    /// kebab-case, e.g. `user` or `blog-post`.
    const SERVICE: &'static str;
}
