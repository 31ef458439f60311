//! Authorization decisions for a role whose rights in one service hold 10,
//! 100 and 1,000 rules.
//!
//! The rules are spread over CRUD actions (single verbs and letter
//! combinations) and three commands, and each carries a condition over the
//! subject's fields, as an application with per-category rules and a
//! publishing workflow would declare them: `owner == user id` and a
//! category, a category alone, a list of workflow states, a like count. None of them applies to the request measured except two rules
//! declared in the middle of the list, so the decision walks past half of
//! them, from the last one back, before it finds the one that decides.
//! Three other services hold rules of the same role, and the role inherits
//! from `guest`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ferrocrud::context::Verb;
use ferrocrud::security::{
    Action, Authorizer, AuthzRequest, Caller, KnownFields, Role, RoleGraph, RoleRights,
    ServiceFields, ServiceSecurity, eq, exists, in_, lt, ne, user_id,
};
use serde_json::{Map, Value, json};

/// The entity's fields; the commands' DTOs use the same names.
const FIELDS: &[&str] = &[
    "id",
    "owner",
    "title",
    "content",
    "category",
    "status",
    "published",
    "likes",
];

/// The actions the filler rules name, in turn.
const ACTIONS: &[&str] = &[
    "read", "update", "create", "publish", "delete", "ru", "cud", "archive", "crud", "feature",
];

const COMMANDS: &[&str] = &["publish", "archive", "feature"];

/// Declares the filler rule `i`: it never applies to the requests measured
/// (its category or status does not match). Each action gets every kind of
/// rule in turn.
fn filler(r: &mut RoleRights, i: usize) {
    let action = ACTIONS[i % ACTIONS.len()];
    let category = format!("category-{i}");
    match (i / ACTIONS.len()) % 5 {
        0 => {
            r.can(action)
                .when(eq("owner", user_id()))
                .when(eq("category", category));
        }
        1 => {
            r.cannot(action)
                .fields(&["status", "published"])
                .when(eq("category", category));
        }
        2 => {
            r.can(action)
                .when(in_("status", [format!("draft-{i}"), format!("review-{i}")]));
        }
        3 => {
            r.can(action)
                .fields(&["title", "content"])
                .when(eq("owner", user_id()))
                .when(eq("category", category))
                .when(lt("likes", 1_000));
        }
        _ => {
            r.cannot(action)
                .when(eq("category", category))
                .when(ne("owner", user_id()));
        }
    }
}

/// The role `user`'s rights in `post`: `rules` rules, the two that decide
/// the measured requests in the middle.
fn post_rights(rules: usize) -> impl FnOnce(&mut RoleRights) {
    move |r| {
        let middle = rules / 2 - 1;
        let mut filler_index = 0;
        for i in 0..rules {
            if i == middle {
                r.can("update")
                    .fields(&["title", "content", "category"])
                    .when(eq("owner", user_id()));
            } else if i == middle + 1 {
                r.can("read")
                    .when(eq("owner", user_id()))
                    .when(exists("category", true));
            } else {
                filler(r, filler_index);
                filler_index += 1;
            }
        }
    }
}

fn service_fields(entity: &str) -> ServiceFields {
    COMMANDS.iter().fold(
        ServiceFields::new(KnownFields::new(entity, FIELDS)),
        |fields, command| fields.command(*command, KnownFields::new("CommandDto", FIELDS)),
    )
}

fn authorizer(rules: usize) -> Authorizer {
    let roles = vec![Role::new("user").inherits("guest"), Role::new("guest")];
    let roles = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(RoleGraph::new(roles, "guest"))
        .expect("valid roles");
    let mut services = vec![(
        "post".to_owned(),
        ServiceSecurity::new()
            .role("user", post_rights(rules))
            .role("guest", |r| {
                r.can("read").when(eq("published", true));
            }),
        service_fields("Post"),
    )];
    for name in ["comment", "media", "page"] {
        let security = ServiceSecurity::new().role("user", move |r| {
            for i in 0..rules {
                filler(r, i);
            }
        });
        services.push((name.to_owned(), security, service_fields(name)));
    }
    Authorizer::new(Arc::new(roles), services, 100).expect("rules name real fields")
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn bench_abilities(c: &mut Criterion) {
    let caller = Caller {
        user_id: Some("0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77"),
        role: "user",
    };
    // PATCH /one: the query, then the query merged with the data.
    let query = object(json!({
        "id": "0197a3c2-9b41-7c3e-8f6a-1d2e3f4a5b6c",
        "owner": "0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77",
    }));
    let mut merged = query.clone();
    merged.insert("title".into(), json!("A better title"));
    merged.insert("content".into(), json!("Some new content for the post."));
    let patch_subjects = [&query, &merged];
    // GET /many: the query.
    let find_query = object(json!({
        "owner": "0197a3c2-7d1e-7a40-9d0e-5f2b8c1e4a77",
        "category": "news",
    }));
    let find_subjects = [&find_query];

    let mut group = c.benchmark_group("abilities");
    for rules in [10, 100, 1_000] {
        let authorizer = authorizer(rules);
        let patch = AuthzRequest {
            service: "post",
            action: Action::Crud(Verb::Patch),
            method: Verb::Patch,
            caller,
            subjects: &patch_subjects,
            fields: &["title", "content"],
            options: &[],
        };
        let find = AuthzRequest {
            service: "post",
            action: Action::Crud(Verb::Get),
            method: Verb::Get,
            caller,
            subjects: &find_subjects,
            fields: &[],
            options: &[],
        };
        assert!(authorizer.authorize(&patch).is_ok(), "the patch is allowed");
        assert!(authorizer.authorize(&find).is_ok(), "the find is allowed");
        group.bench_with_input(
            BenchmarkId::new("patch_own_post", rules),
            &patch,
            |b, request| b.iter(|| authorizer.authorize(black_box(request)).is_ok()),
        );
        group.bench_with_input(
            BenchmarkId::new("find_own_posts", rules),
            &find,
            |b, request| b.iter(|| authorizer.authorize(black_box(request)).is_ok()),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_abilities);
criterion_main!(benches);
