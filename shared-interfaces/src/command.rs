//! The [`Command`] trait: a DTO type that knows its service, name and answer.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Resource;

/// A named command of a service, described by its DTO type.
///
/// Implementing `Command` for a DTO ties it to the service it is sent to
/// (through the service's [`Resource`] type), to its command name and to the
/// type the server answers with, so that a typed client can call
/// `client.cmd_s(dto)` and get a `Self::Return` back.
///
/// # Examples
///
/// ```
/// use ferrocrud_shared::{Command, Resource};
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
///
/// /// A post (on a server, the entity's Model).
/// struct Post;
///
/// impl Resource for Post {
///     const SERVICE: &'static str = "post";
/// }
///
/// /// Publishes a post.
/// #[derive(Debug, Serialize, Deserialize, JsonSchema)]
/// #[serde(rename_all = "camelCase", deny_unknown_fields)]
/// struct PublishPostDto {
///     post_id: String,
/// }
///
/// impl Command for PublishPostDto {
///     type Service = Post;
///     const NAME: &'static str = "publish_post";
///     type Return = bool;
/// }
///
/// assert_eq!(PublishPostDto::SERVICE, "post");
/// assert_eq!(PublishPostDto::NAME, "publish_post");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a command DTO",
    note = "implement `ferrocrud_shared::Command` for `{Self}` with its Service, NAME and Return type"
)]
pub trait Command:
    Serialize + DeserializeOwned + schemars::JsonSchema + Send + Sync + 'static
{
    /// The type that names the command's service: the service's entity
    /// Model (or a client's mirror of it).
    type Service: Resource;
    /// The service the command belongs to, taken from [`Command::Service`].
    /// Not meant to be overridden: the wire name is the service type's.
    const SERVICE: &'static str = <Self::Service as Resource>::SERVICE;
    /// The command name as it appears in the route (`/crud/s/:service/cmd/:name`).
    const NAME: &'static str;
    /// What the command answers with. `()` means an empty body.
    type Return: Serialize + DeserializeOwned + schemars::JsonSchema + Send + 'static;
}
