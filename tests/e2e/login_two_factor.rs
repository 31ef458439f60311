//! Two-factor login by emailed code (`twoFA` accounts).

use blog::user as entity;
use ferrocrud::storage::Db;
use ferrocrud_tests::TestServer;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::login_support::{
    INVALID_CREDENTIALS, PASSWORD, account, codes_to, login, login_test, row, set,
};

const TWO_FA_REQUIRED: &str = r#"{"message":"{\"message\":\"2FA required\",\"code\":8}","error":"Unauthorized","statusCode":401,"code":8}"#;
const CODE_EXPIRED: &str = r#"{"message":"{\"message\":\"Token expired\",\"code\":7}","error":"Unauthorized","statusCode":401,"code":7}"#;

/// An account with two-factor login on; answers its id.
async fn two_factor_account(server: &TestServer, db: &Db, email: &str) -> String {
    let id = account(server, email).await;
    set(db, &id, entity::Column::TwoFA, Expr::value(true)).await;
    id
}

/// Asks for a code with the right password; answers the code mailed.
async fn mailed_code(server: &TestServer, email: &str) -> String {
    let answer = login(server, email, PASSWORD, None).await;
    assert_eq!(answer.text, TWO_FA_REQUIRED);
    let codes = codes_to(server, email);
    assert_eq!(codes.len(), 1, "one code mailed");
    codes[0].clone()
}

login_test!(
    async fn eicrud_mailed_2fa_codes_before_checking_the_password(server, db) {
        two_factor_account(&server, &db, "tfa@blog.test").await;
        let wrong = login(&server, "tfa@blog.test", "wrong-password-1", None).await;
        let unknown = login(&server, "ghost@blog.test", "wrong-password-1", None).await;
        assert_eq!(wrong.text, INVALID_CREDENTIALS);
        assert_eq!(unknown.text, wrong.text);
        assert!(codes_to(&server, "tfa@blog.test").is_empty(), "no mail");
        // A code given with a wrong password is no shortcut either.
        server.after_login_throttle().await;
        let with_code = login(&server, "tfa@blog.test", "wrong-password-1", Some("ABC123")).await;
        assert_eq!(with_code.text, INVALID_CREDENTIALS);
        assert!(codes_to(&server, "tfa@blog.test").is_empty(), "no mail");
    }
);

login_test!(
    async fn two_factor_login_with_the_mailed_code(server, db) {
        let id = two_factor_account(&server, &db, "code@blog.test").await;
        let code = mailed_code(&server, "code@blog.test").await;
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{code}");
        let stored = row(&db, &id).await.last_two_f_a_code.expect("a code is pending");
        assert!(!stored.contains(&code), "eicrud stored the code in clear");
        server.after_login_throttle().await;
        let answer = login(&server, "code@blog.test", PASSWORD, Some(&code)).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let token = answer.json()["accessToken"].as_str().expect("token").to_owned();
        let check = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(check.status, 200, "{}", check.text);
        assert_eq!(row(&db, &id).await.last_two_f_a_code, None, "consumed");
    }
);

login_test!(
    async fn eicrud_2fa_code_consumed_cannot_be_reused(server, db) {
        two_factor_account(&server, &db, "reuse@blog.test").await;
        let code = mailed_code(&server, "reuse@blog.test").await;
        server.after_login_throttle().await;
        assert_eq!(login(&server, "reuse@blog.test", PASSWORD, Some(&code)).await.status, 200);
        server.after_login_throttle().await;
        let again = login(&server, "reuse@blog.test", PASSWORD, Some(&code)).await;
        assert_eq!(again.text, INVALID_CREDENTIALS);
    }
);

login_test!(
    async fn a_wrong_2fa_code_is_code_5_and_a_failed_login(server, db) {
        let id = two_factor_account(&server, &db, "wrong@blog.test").await;
        let code = mailed_code(&server, "wrong@blog.test").await;
        let wrong_code = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
        server.after_login_throttle().await;
        let wrong = login(&server, "wrong@blog.test", PASSWORD, Some(wrong_code)).await;
        assert_eq!(wrong.text, INVALID_CREDENTIALS);
        assert_eq!(row(&db, &id).await.failed_login_count, Some(1));
        server.after_login_throttle().await;
        let right = login(&server, "wrong@blog.test", PASSWORD, Some(&code)).await;
        assert_eq!(right.status, 200, "the code survives a wrong guess: {}", right.text);
        assert_eq!(row(&db, &id).await.failed_login_count, Some(0));
    }
);

login_test!(
    async fn an_expired_2fa_code_is_code_7(server, db) {
        let id = two_factor_account(&server, &db, "expired@blog.test").await;
        let code = mailed_code(&server, "expired@blog.test").await;
        let sent = chrono::Utc::now() - chrono::Duration::minutes(16);
        set(&db, &id, entity::Column::LastTwoFACodeSent, Expr::value(sent)).await;
        server.after_login_throttle().await;
        let expired = login(&server, "expired@blog.test", PASSWORD, Some(&code)).await;
        assert_eq!(expired.text, CODE_EXPIRED);
        // Asking again mails a new code, which works.
        server.after_login_throttle().await;
        assert_eq!(login(&server, "expired@blog.test", PASSWORD, None).await.text, TWO_FA_REQUIRED);
        let codes = codes_to(&server, "expired@blog.test");
        assert_eq!(codes.len(), 2);
        server.after_login_throttle().await;
        let answer = login(&server, "expired@blog.test", PASSWORD, Some(&codes[1])).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
);

login_test!(
    async fn no_new_code_is_mailed_while_one_is_valid(server, db) {
        two_factor_account(&server, &db, "spam@blog.test").await;
        mailed_code(&server, "spam@blog.test").await;
        for _ in 0..2 {
            server.after_login_throttle().await;
            let again = login(&server, "spam@blog.test", PASSWORD, None).await;
            assert_eq!(again.text, TWO_FA_REQUIRED);
        }
        assert_eq!(codes_to(&server, "spam@blog.test").len(), 1);
    }
);
