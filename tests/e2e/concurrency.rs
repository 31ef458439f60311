//! Races over real HTTP: many requests at once on one single-use secret, or
//! on one account's lockout, on SQLite and on PostgreSQL.
//!
//! These servers run without the login throttle, which would otherwise turn
//! away all but the first of the simultaneous logins on one identifier
//! before they reach what is tested here.

use std::collections::BTreeMap;

use blog::user as entity;
use ferrocrud_tests::{Answer, LoginThrottle, ServerApp, TestServer, run_server_test};
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::login_support::{self, PASSWORD, codes_to, locked_out_seconds, row, set};
use crate::users_support::{cmd_s, mails, request_verification, reset_token};

/// Requests sent at once on one secret.
const PARALLEL: usize = 32;

/// Rounds of a race, each on a fresh secret.
const ROUNDS: usize = 20;

/// Wrong logins sent at once on one account.
const WRONG_LOGINS: usize = 64;

/// The lockout threshold (`max_failed_logins`) the tests expect.
const MAX_FAILED_LOGINS: usize = 6;

/// Runs `body` against a blog server without the login throttle.
fn race_test<F, Fut>(test_name: &str, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_server_test(test_name, ServerApp::Blog, LoginThrottle::Off, body);
}

/// How many answers had each `(status, code)`.
fn tally(answers: &[Answer]) -> BTreeMap<(u16, Option<u64>), usize> {
    let mut counts = BTreeMap::new();
    for answer in answers {
        let code = if answer.status < 300 {
            None
        } else {
            answer.code()
        };
        *counts.entry((answer.status, code)).or_insert(0) += 1;
    }
    counts
}

/// The one answer with a 2xx status; panics unless there is exactly one.
fn the_one_success(answers: &[Answer], round: usize) -> usize {
    let winners: Vec<usize> = (0..answers.len())
        .filter(|&i| (200..300).contains(&answers[i].status))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "round {round}: one success, got {:?}",
        tally(answers)
    );
    winners[0]
}

/// Asserts that an answer is 400 code 7 ("Token expired"), the refusal of a
/// used email token.
fn assert_used_token(answer: &Answer, round: usize) {
    assert_eq!(
        (answer.status, answer.code()),
        (400, Some(7)),
        "round {round}: {}",
        answer.text
    );
    assert_eq!(answer.inner()["message"], "Token expired", "round {round}");
}

#[test]
fn parallel_uses_of_one_reset_token_succeed_once() {
    race_test(
        "parallel_uses_of_one_reset_token_succeed_once",
        |server| async move {
            for round in 0..ROUNDS {
                let email = format!("reset-race-{round}@blog.test");
                let id = server.create_account(&email, PASSWORD).await;
                let token_id = reset_token(&server, &email).await;
                let attempts = (0..PARALLEL).map(|n| {
                    let dto =
                        json!({"token_id": token_id, "newPassword": format!("pass-race-{n:02}")});
                    cmd_s(&server, "reset_password", dto, None)
                });
                let answers = join_all(attempts).await;
                let winner = the_one_success(&answers, round);
                for (n, answer) in answers.iter().enumerate() {
                    if n != winner {
                        assert_used_token(answer, round);
                    }
                }
                let stored = row(&server.db, &id).await;
                assert_eq!(stored.password_reset_token, None, "round {round}: used up");
                assert_eq!(
                    stored.rvkd,
                    Some(1),
                    "round {round}: one password change revoked the sessions once"
                );
                // The winner's password is the one set.
                let login =
                    login_support::login(&server, &email, &format!("pass-race-{winner:02}"), None)
                        .await;
                assert_eq!(login.status, 200, "round {round}: {}", login.text);
            }
        },
    );
}

#[test]
fn parallel_uses_of_one_verification_token_succeed_once() {
    race_test(
        "parallel_uses_of_one_verification_token_succeed_once",
        |server| async move {
            for round in 0..ROUNDS {
                let email = format!("verify-race-{round}@blog.test");
                let (id, token) = server.user(&email).await;
                let asked = request_verification(&server, json!({}), &token).await;
                assert_eq!(asked.status, 201, "round {round}: {}", asked.text);
                let token_id = mails(&server, "email_verification", &email)
                    .last()
                    .and_then(|mail| mail["token"].as_str().map(str::to_owned))
                    .expect("a verification mail");
                let attempts = (0..PARALLEL)
                    .map(|_| cmd_s(&server, "verify_email", json!({"token_id": token_id}), None));
                let answers = join_all(attempts).await;
                let winner = the_one_success(&answers, round);
                for (n, answer) in answers.iter().enumerate() {
                    if n != winner {
                        assert_used_token(answer, round);
                    }
                }
                let stored = row(&server.db, &id).await;
                assert_eq!(stored.verified_email, Some(true), "round {round}");
                assert_eq!(
                    stored.email_verification_token, None,
                    "round {round}: used up"
                );
            }
        },
    );
}

#[test]
fn parallel_logins_with_one_two_factor_code_succeed_once() {
    race_test(
        "parallel_logins_with_one_two_factor_code_succeed_once",
        |server| async move {
            for round in 0..ROUNDS {
                let email = format!("code-race-{round}@blog.test");
                let id = server.create_account(&email, PASSWORD).await;
                set(&server.db, &id, entity::Column::TwoFA, Expr::value(true)).await;
                let asked = login_support::login(&server, &email, PASSWORD, None).await;
                assert_eq!(
                    (asked.status, asked.code()),
                    (401, Some(8)),
                    "{}",
                    asked.text
                );
                let codes = codes_to(&server, &email);
                assert_eq!(codes.len(), 1, "round {round}: one code mailed");
                let code = codes[0].clone();
                let attempts = (0..PARALLEL)
                    .map(|_| login_support::login(&server, &email, PASSWORD, Some(&code)));
                let answers = join_all(attempts).await;
                let winner = the_one_success(&answers, round);
                assert!(answers[winner].json()["accessToken"].is_string());
                // The others: the code was used (a failed login), or those
                // failures locked the account.
                for (n, answer) in answers.iter().enumerate() {
                    match (answer.status, answer.code()) {
                        _ if n == winner => {}
                        (401, Some(5)) => {}
                        (429, Some(3)) => {
                            locked_out_seconds(answer);
                        }
                        _ => panic!("round {round}: {}", answer.text),
                    }
                }
                assert_eq!(
                    row(&server.db, &id).await.last_two_f_a_code,
                    None,
                    "round {round}: used up"
                );
            }
        },
    );
}

#[test]
fn parallel_wrong_logins_on_two_instances_check_six_passwords() {
    race_test(
        "parallel_wrong_logins_on_two_instances_check_six_passwords",
        |first| async move {
            let second = first.another_instance().await;
            let email = "lockout-race@blog.test";
            let id = first.create_account(email, PASSWORD).await;
            let attempts = (0..WRONG_LOGINS).map(|n| {
                let server = if n % 2 == 0 { &first } else { &second };
                login_support::login(server, email, "wrong-password-1", None)
            });
            let answers = join_all(attempts).await;
            // Every password checked answers 401 code 5; every attempt
            // turned away before the check answers 429 code 3.
            let counts = tally(&answers);
            let checked = counts.get(&(401, Some(5))).copied().unwrap_or(0);
            let locked = counts.get(&(429, Some(3))).copied().unwrap_or(0);
            assert_eq!(
                (checked, locked),
                (MAX_FAILED_LOGINS, WRONG_LOGINS - MAX_FAILED_LOGINS),
                "{counts:?}"
            );
            for answer in answers.iter().filter(|a| a.status == 429) {
                locked_out_seconds(answer);
            }
            // The row counted exactly the passwords checked.
            let stored = row(&first.db, &id).await;
            assert_eq!(stored.failed_login_count, Some(MAX_FAILED_LOGINS as i64));
            // Locked: the right password is refused on both instances, and
            // counts nothing.
            for server in [&first, &second] {
                let right = login_support::login(server, email, PASSWORD, None).await;
                locked_out_seconds(&right);
            }
            assert_eq!(
                row(&first.db, &id).await.failed_login_count,
                Some(MAX_FAILED_LOGINS as i64)
            );
        },
    );
}

#[test]
fn parallel_wrong_logins_on_an_unknown_address_lock_it_out_alike() {
    race_test(
        "parallel_wrong_logins_on_an_unknown_address_lock_it_out_alike",
        |first| async move {
            let second = first.another_instance().await;
            let email = "nobody-race@blog.test";
            let attempts = (0..WRONG_LOGINS).map(|n| {
                let server = if n % 2 == 0 { &first } else { &second };
                login_support::login(server, email, "wrong-password-1", None)
            });
            let answers = join_all(attempts).await;
            let counts = tally(&answers);
            let checked = counts.get(&(401, Some(5))).copied().unwrap_or(0);
            let locked = counts.get(&(429, Some(3))).copied().unwrap_or(0);
            assert_eq!(
                (checked, locked),
                (MAX_FAILED_LOGINS, WRONG_LOGINS - MAX_FAILED_LOGINS),
                "the same answers as for an account: {counts:?}"
            );
        },
    );
}
