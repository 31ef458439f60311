//! Request validation: the compiled [`Validator`] of a post's create body,
//! checking one valid body and one invalid body.
//!
//! Each measured call runs the whole check of a request body: transforms
//! (`trim`), field sizes, then every field's rules. The body is copied
//! before each call (the check transforms it in place); the copy is not
//! measured.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ferrocrud::config::ValidationOptions;
use ferrocrud::error::Target;
use ferrocrud::validate::{Mode, Validator};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The create body of a blog post.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Only the schema is used: the fields are never read.
#[allow(dead_code)]
struct CreatePost {
    /// The author's user id.
    #[schemars(length(max = 36))]
    owner: String,
    /// Up to 48 characters, trimmed.
    #[schemars(length(min = 1, max = 48), extend("x-transform" = ["trim"]))]
    title: String,
    /// Up to 1000 characters of JSON.
    #[schemars(length(max = 900), extend("x-max-size" = 1000))]
    content: Option<String>,
    /// A lowercase slug.
    #[schemars(length(max = 32), regex(pattern = r"^[a-z0-9-]+$"))]
    category: String,
    /// Up to five tags.
    #[schemars(length(max = 5), extend("x-max-size" = 200))]
    tags: Option<Vec<String>>,
    /// Whether the post is public.
    published: Option<bool>,
    /// 0 to 1,000,000.
    #[schemars(range(min = 0, max = 1_000_000))]
    likes: Option<i64>,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn bench_validation(c: &mut Criterion) {
    let validator = Validator::for_type::<CreatePost>("CreatePost", &ValidationOptions::default())
        .expect("a supported schema");
    let valid = object(json!({
        "owner": "0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77",
        "title": "  Ten things about Rust  ",
        "content": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(4),
        "category": "programming",
        "tags": ["rust", "web", "crud"],
        "published": true,
        "likes": 0,
    }));
    // Four failing fields and an unknown property.
    let invalid = object(json!({
        "owner": "0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77",
        "title": 42,
        "content": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(4),
        "category": "Not A Slug",
        "published": "yes",
        "likes": -3,
        "featured": true,
    }));
    let check = |body: &mut Map<String, Value>| {
        validator
            .validate(black_box(body), Mode::Full, Target::Data)
            .is_ok()
    };
    assert!(check(&mut valid.clone()), "the valid body passes");
    assert!(!check(&mut invalid.clone()), "the invalid body fails");

    let mut group = c.benchmark_group("validation");
    group.bench_function("create_post_valid", |b| {
        b.iter_batched_ref(|| valid.clone(), check, BatchSize::SmallInput);
    });
    group.bench_function("create_post_invalid", |b| {
        b.iter_batched_ref(|| invalid.clone(), check, BatchSize::SmallInput);
    });
    group.finish();
}

criterion_group!(benches, bench_validation);
criterion_main!(benches);
