//! How rights declared in several `ServiceSecurity::role` calls combine, on
//! the fixture (the blog's post rights, with command rights appended).

use ferrocrud_tests::{Request, fixture_test};
use reqwest::Method;
use serde_json::json;

fixture_test!(
    async fn a_command_right_grants_no_crud_right(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": owner, "title": "mine"}))
                    .token(Some(&token)),
            )
            .await
            .json();
        let guest = server
            .send(
                Request::crud(Method::GET, "post", "one")
                    .options(json!({}))
                    .query(json!({"id": created["id"], "owner": owner})),
            )
            .await;
        assert_eq!(guest.status, 403);
        assert_eq!(
            guest.message(),
            "Role guest is not allowed to GET post - guest failed on all "
        );
    }
);

fixture_test!(
    async fn rights_appended_to_a_role_keep_its_crud_rules(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": owner, "title": "mine"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let page = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(page["total"], 1);
    }
);

fixture_test!(
    async fn command_rights_appended_to_a_role_keep_its_empty_crud_entry(server: TestServer) {
        // The blog declares `.declare_role("guest")`: guests have a CRUD
        // entry without rules, so in eicrud they fail on the first field
        // sent, as on the blog. The fixture appends `ping` and `limited`
        // rights for guests, which eicrud keeps apart (`cmdSecurityMap`).
        let (_, token) = server.user("a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": other, "title": "not mine"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role user is not allowed to POST post - user failed on owner - guest failed on owner "
        );
    }
);
