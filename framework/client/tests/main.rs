//! Integration tests of `ferrocrud-client` against a mock eicrud server: the
//! exact requests sent (compared with `reference/eicrud-wire.md`), the
//! session handling, pagination, batch chunking and error decoding.

mod batch;
mod commands;
mod crud_wire;
mod errors;
mod mock;
mod paging;
mod session;

use serde::{Deserialize, Serialize};

/// The blog's post, as the captures show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Post {
    id: String,
    owner: String,
    title: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    likes: Option<i64>,
}

impl ferrocrud_client::Resource for Post {
    const SERVICE: &'static str = "post";
}

/// A user id and post ids from the captures.
const OWNER: &str = "d573ace2e3076cddbb3bd770";
const POST_ID: &str = "2597e974a5b465a4acffc96a";

/// The JSON of a post owned by [`OWNER`].
fn post_json(id: &str, title: &str) -> String {
    serde_json::json!({"id": id, "owner": OWNER, "title": title}).to_string()
}
