//! Misconfigurations fail when the application is built, naming what is
//! wrong, before any request.

use ferrocrud::app::App;
use ferrocrud::error::SetupError;
use ferrocrud::security::{ServiceSecurity, eq, user_id};
use ferrocrud::service::CrudService;
use ferrocrud::storage::Db;
use ferrocrud::user::{CrudUserService, UserOptions};
use ferrocrud_tests::fixture;

/// Builds the fixture with `posts` as the post service's abilities.
async fn build(db: Db, posts: ServiceSecurity) -> ferrocrud::Result<App> {
    let users = CrudUserService::<blog::user::Entity>::with_entity(
        db.clone(),
        UserOptions::new("setup test secret"),
        ferrocrud::email::ConsoleMailer,
    )?;
    let service = CrudService::<blog::post::Entity>::new(db.clone())?;
    let builder = App::builder(db)
        .roles(fixture::roles())
        .user_service(users, blog::security::users())
        .service(service, posts);
    fixture::commands(builder).build().await
}

async fn setup_error(db: Db, posts: ServiceSecurity) -> SetupError {
    match build(db, posts).await {
        Ok(_) => panic!("the application was built"),
        Err(ferrocrud::Error::Setup(error)) => error,
        Err(other) => panic!("not a setup error: {other}"),
    }
}

ferrocrud::db_test!(the_fixture_builds, |db| {
    assert!(build(db, fixture::post_security()).await.is_ok());
});

ferrocrud::db_test!(a_condition_on_an_unknown_field_fails_at_start, |db| {
    let posts = fixture::post_security().role("user", |r| {
        r.can("read").when(eq("author", user_id()));
    });
    let error = setup_error(db, posts).await;
    assert_eq!(
        error,
        SetupError::UnknownField {
            service: "post".into(),
            role: "user".into(),
            field: "author".into(),
            type_name: "Post".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "service post: a rule of role user names field `author`, which Post does not have"
    );
});

ferrocrud::db_test!(a_field_list_naming_an_unknown_field_fails_at_start, |db| {
    let posts = fixture::post_security().role("moderator", |r| {
        r.cannot("update").fields(&["title", "headline"]);
    });
    assert_eq!(
        setup_error(db, posts).await,
        SetupError::UnknownField {
            service: "post".into(),
            role: "moderator".into(),
            field: "headline".into(),
            type_name: "Post".into(),
        }
    );
});

ferrocrud::db_test!(
    a_command_rule_on_an_unknown_dto_field_fails_at_start,
    |db| {
        let posts = fixture::post_security().role("guest", |r| {
            r.can("ping").when(eq("text", "hi"));
        });
        assert_eq!(
            setup_error(db, posts).await,
            SetupError::UnknownField {
                service: "post".into(),
                role: "guest".into(),
                field: "text".into(),
                type_name: "PingDto".into(),
            }
        );
    }
);

ferrocrud::db_test!(a_rule_on_an_unknown_command_fails_at_start, |db| {
    let posts = fixture::post_security().role("user", |r| {
        r.can("publish");
    });
    let error = setup_error(db, posts).await;
    assert_eq!(
        error,
        SetupError::UnknownAction {
            service: "post".into(),
            role: "user".into(),
            action: "publish".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "service post: a rule of role user names action `publish`, which is neither a CRUD action (create, read, update, delete, crud, cru, ru, ...) nor a command the service registers"
    );
});

ferrocrud::db_test!(a_misspelt_crud_action_fails_at_start, |db| {
    let posts = fixture::post_security().role("moderator", |r| {
        r.can("cdur");
    });
    assert_eq!(
        setup_error(db, posts).await,
        SetupError::UnknownAction {
            service: "post".into(),
            role: "moderator".into(),
            action: "cdur".into(),
        }
    );
});

ferrocrud::db_test!(
    a_typed_rule_on_another_services_command_fails_at_start,
    |db| {
        let posts = fixture::post_security().role("user", |r| {
            r.can_cmd::<ferrocrud::shared::user::LoginDto>();
        });
        assert_eq!(
            setup_error(db, posts).await,
            SetupError::CommandOfOtherService {
                service: "post".into(),
                role: "user".into(),
                command: "login".into(),
                command_service: "user".into(),
            }
        );
    }
);

ferrocrud::db_test!(an_empty_role_closure_fails_at_start, |db| {
    let posts = fixture::post_security().role("moderator", |_| {});
    assert_eq!(
        setup_error(db, posts).await,
        SetupError::EmptyRole {
            service: "post".into(),
            role: "moderator".into(),
        }
    );
});

ferrocrud::db_test!(a_batch_size_for_an_unknown_command_fails_at_start, |db| {
    let posts = fixture::post_security().role("user", |r| {
        r.command_max_batch_size("echo", 2);
    });
    assert_eq!(
        setup_error(db, posts).await,
        SetupError::UnknownCommand {
            service: "post".into(),
            role: "user".into(),
            command: "echo".into(),
        }
    );
});

ferrocrud::db_test!(rights_for_an_unknown_role_fail_at_start, |db| {
    let posts = fixture::post_security().role("editor", |r| {
        r.can("read");
    });
    let error = setup_error(db, posts).await;
    assert_eq!(error, SetupError::UnknownRole("editor".into()));
    assert_eq!(error.to_string(), "unknown role `editor`");
});

/// A command DTO whose secret flag is misspelt.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MisspeltDto {
    #[schemars(extend("x-secrets" = true))]
    token: String,
}

impl ferrocrud::shared::Command for MisspeltDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "misspelt";
    type Return = ();
}

ferrocrud::db_test!(an_unknown_schema_keyword_fails_at_start, |db| {
    let users = CrudUserService::new(db.clone(), UserOptions::new("setup test secret"))
        .expect("user service");
    let service = CrudService::<blog::post::Entity>::new(db.clone()).expect("post service");
    let misspelt = ferrocrud::command::Cmd::new(|_ctx, _dto: MisspeltDto| async { Ok(()) });
    let built = App::builder(db)
        .roles(blog::security::roles())
        .user_service(users, blog::security::users())
        .service(service, fixture::post_security())
        .command(misspelt)
        .build()
        .await;
    let Err(ferrocrud::Error::Setup(error)) = built else {
        panic!("the application was built, or failed otherwise");
    };
    assert_eq!(
        error,
        SetupError::UnknownKeyword {
            type_name: "MisspeltDto".into(),
            path: "token".into(),
            keyword: "x-secrets".into(),
        }
    );
});
