//! Password hashes at login: rehash when the argon2 parameters change,
//! bcrypt hashes imported from eicrud upgraded to argon2id.

use blog::user as entity;
use ferrocrud::auth::{PasswordHasher, PasswordParams};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;

use crate::login_support::{INVALID_CREDENTIALS, PASSWORD, account, login, login_test, row, set};

/// The blog's argon2id parameters (the defaults: OWASP's 19 MiB, 2 passes).
const CURRENT_PARAMS: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

login_test!(
    async fn eicrud_rehash_on_login_revoked_the_token_it_issued(server, db) {
        let id = account(&server, "rehash@blog.test").await;
        let old = PasswordHasher::new(PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .expect("hasher");
        let old_hash = old.hash(PASSWORD).await.expect("hash");
        set(&db, &id, entity::Column::Password, Expr::value(old_hash)).await;
        let before = row(&db, &id).await;

        let token = server.login("rehash@blog.test", PASSWORD).await;
        let after = row(&db, &id).await;
        assert!(after.password.starts_with(CURRENT_PARAMS), "{}", after.password);
        assert_eq!(after.rvkd, before.rvkd, "a rehash revokes nothing");
        let check = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(check.status, 200, "{}", check.text);
        server.after_login_throttle().await;
        server.login("rehash@blog.test", PASSWORD).await;
    }
);

login_test!(
    async fn a_bcrypt_user_imported_from_eicrud_logs_in_and_is_upgraded(server, db) {
        // A row as eicrud left it: a 24-hex id and a bcrypt hash made by node's
        // `bcrypt` (eicrud's library) with saltRounds 11.
        let id = "d573ace2e3076cddbb3bd770";
        let eicrud_hash = "$2b$11$caNL1dIP/1BQ4IjUo.cVA.C83v4mi5xWp5knXQldD1kqZomij7U9S";
        let now = chrono::Utc::now();
        entity::ActiveModel {
            id: Set(id.to_owned()),
            email: Set("imported@blog.test".to_owned()),
            password: Set(eicrud_hash.to_owned()),
            role: Set("user".to_owned()),
            salt_rounds: Set(Some(11)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db.connection())
        .await
        .expect("imported row");

        let wrong = login(&server, "imported@blog.test", "eicrud-pass-2", None).await;
        assert_eq!(wrong.text, INVALID_CREDENTIALS);
        assert_eq!(row(&db, id).await.password, eicrud_hash, "a failure upgrades nothing");

        server.after_login_throttle().await;
        let token = server.login("imported@blog.test", "eicrud-pass-1").await;
        let upgraded = row(&db, id).await.password;
        assert!(upgraded.starts_with(CURRENT_PARAMS), "{upgraded}");
        let check = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(check.json()["userId"], id);
        server.after_login_throttle().await;
        server.login("imported@blog.test", "eicrud-pass-1").await;
    }
);
