//! The [`Command`] trait: a DTO type that knows its service, name and answer.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A named command of a service, described by its DTO type.
///
/// Implementing `Command` for a DTO ties it to the service and command name
/// it is sent to and to the type the server answers with, so that a typed
/// client can call `client.cmd_s(dto)` and get a `Self::Return` back.
///
/// # Examples
///
/// ```
/// use ferrocrud_shared::Command;
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
///
/// /// Publishes a post.
/// #[derive(Debug, Serialize, Deserialize, JsonSchema)]
/// #[serde(rename_all = "camelCase", deny_unknown_fields)]
/// struct PublishPostDto {
///     post_id: String,
/// }
///
/// impl Command for PublishPostDto {
///     const SERVICE: &'static str = "post";
///     const NAME: &'static str = "publish_post";
///     type Return = bool;
/// }
///
/// assert_eq!(PublishPostDto::NAME, "publish_post");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a command DTO",
    note = "implement `ferrocrud_shared::Command` for `{Self}` with its SERVICE, NAME and Return type"
)]
pub trait Command:
    Serialize + DeserializeOwned + schemars::JsonSchema + Send + Sync + 'static
{
    /// The service the command belongs to (kebab-case, e.g. `user`).
    const SERVICE: &'static str;
    /// The command name as it appears in the route (`/crud/s/:service/cmd/:name`).
    const NAME: &'static str;
    /// What the command answers with. `()` means an empty body.
    type Return: Serialize + DeserializeOwned + schemars::JsonSchema + Send + 'static;
}
