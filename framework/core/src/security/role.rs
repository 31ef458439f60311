//! Roles and the role graph, held in casbin and resolved once into walk orders.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

use crate::error::SetupError;
use crate::fast_map::FastMap;

/// The casbin model the role graph lives in: `g` links a role (or, later, a
/// user) to a parent role; `p` lines are for run-time grants. The matcher is
/// never run on the request path.
const MODEL: &str = "\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
";

/// A role, as declared by the application.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::Role;
///
/// let admin = Role::new("admin").inherits("moderator").admin().can_mock();
/// assert!(admin.is_admin && admin.can_mock && !admin.no_token_refresh);
/// assert_eq!(admin.inherits, ["moderator"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The unique name.
    pub name: String,
    /// An administrator role: larger query limits and default batch size.
    /// Grants no rights by itself.
    pub is_admin: bool,
    /// May act as one of its ancestor roles (`mockRole`).
    pub can_mock: bool,
    /// Tokens of users with this role are not renewed.
    pub no_token_refresh: bool,
    /// The parent roles, in the order they are tried.
    pub inherits: Vec<String>,
}

impl Role {
    /// A role with no parent and no flag.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            is_admin: false,
            can_mock: false,
            no_token_refresh: false,
            inherits: Vec::new(),
        }
    }

    /// Adds a parent role, tried after the earlier ones.
    #[must_use]
    pub fn inherits(mut self, parent: impl Into<String>) -> Self {
        self.inherits.push(parent.into());
        self
    }

    /// Marks the role as an administrator role.
    #[must_use]
    pub fn admin(mut self) -> Self {
        self.is_admin = true;
        self
    }

    /// Lets users of this role act as one of its ancestors.
    #[must_use]
    pub fn can_mock(mut self) -> Self {
        self.can_mock = true;
        self
    }

    /// Disables token renewal for users of this role.
    #[must_use]
    pub fn no_token_refresh(mut self) -> Self {
        self.no_token_refresh = true;
        self
    }
}

/// The declared roles, loaded into a casbin enforcer, with each role's walk
/// order resolved once at start.
///
/// The **walk** of a role is the order in which authorization tries roles:
/// the role itself, then its ancestors depth-first, parents in `inherits`
/// order, each role once (eicrud's order). For `admin → moderator → user →
/// guest` the walk of `admin` is `admin, moderator, user, guest`.
///
/// Every `(child, parent)` link becomes one casbin `g` line, in declaration
/// order, and the walks are computed from the enforcer's role manager
/// (its direct-parent query). casbin returns a role's direct parents as a
/// set whose order is not specified, so the order of the parents is taken
/// from the role's `inherits` list, and start-up fails if casbin's set and
/// the declaration disagree. The enforcer is kept for run-time grants; its
/// matcher is never called on the request path.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::{Role, RoleGraph};
///
/// # tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(async {
/// let roles = vec![
///     Role::new("admin").admin().inherits("moderator"),
///     Role::new("moderator").inherits("user"),
///     Role::new("user").inherits("guest"),
///     Role::new("guest"),
/// ];
/// let graph = RoleGraph::new(roles, "guest").await.expect("valid roles");
/// let walk: Vec<&str> = graph.walk("moderator").expect("known").iter().map(|r| &**r).collect();
/// assert_eq!(walk, ["moderator", "user", "guest"]);
/// assert!(graph.is_admin("admin"));
/// assert_eq!(graph.guest_role(), "guest");
/// # });
/// ```
pub struct RoleGraph {
    roles: FastMap<String, Role>,
    walks: FastMap<String, Vec<Arc<str>>>,
    guest_role: String,
    enforcer: Enforcer,
}

impl RoleGraph {
    /// Checks the roles, loads them into casbin and resolves every walk.
    ///
    /// # Errors
    ///
    /// [`SetupError::DuplicateRole`] for two roles with one name,
    /// [`SetupError::UnknownRole`] for a parent or a guest role that is not
    /// declared, [`SetupError::RoleCycle`] when a role is its own ancestor,
    /// [`SetupError::Policy`] when casbin fails or disagrees with the
    /// declaration.
    pub async fn new(roles: Vec<Role>, guest_role: &str) -> Result<Self, SetupError> {
        let mut by_name: HashMap<String, Role> = HashMap::with_capacity(roles.len());
        let mut order: Vec<String> = Vec::with_capacity(roles.len());
        for role in roles {
            if by_name.contains_key(&role.name) {
                return Err(SetupError::DuplicateRole(role.name));
            }
            order.push(role.name.clone());
            by_name.insert(role.name.clone(), role);
        }
        for name in &order {
            for parent in &by_name[name].inherits {
                if !by_name.contains_key(parent) {
                    return Err(SetupError::UnknownRole(parent.clone()));
                }
            }
        }
        if let Some(role) = find_cycle(&order, &by_name) {
            return Err(SetupError::RoleCycle(role));
        }
        if !by_name.contains_key(guest_role) {
            return Err(SetupError::UnknownRole(guest_role.to_owned()));
        }

        let model = DefaultModel::from_str(MODEL).await.map_err(policy)?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .map_err(policy)?;
        for name in &order {
            for parent in dedup(&by_name[name].inherits) {
                enforcer
                    .add_grouping_policy(vec![name.clone(), parent.to_owned()])
                    .await
                    .map_err(policy)?;
            }
        }

        let parents = resolve_parents(&enforcer, &order, &by_name)?;
        let names: HashMap<&str, Arc<str>> = order
            .iter()
            .map(|n| (n.as_str(), Arc::from(n.as_str())))
            .collect();
        let walks = order
            .iter()
            .map(|name| (name.clone(), walk_from(name, &parents, &names)))
            .collect();

        Ok(Self {
            roles: by_name.into_iter().collect(),
            walks,
            guest_role: guest_role.to_owned(),
            enforcer,
        })
    }

    /// The declared roles' names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.roles.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The walk of `role`: the role, then its ancestors depth-first in
    /// `inherits` order, without repeats. `None` for an unknown role.
    pub fn walk(&self, role: &str) -> Option<&[Arc<str>]> {
        self.walks.get(role).map(Vec::as_slice)
    }

    /// The declared role of that name.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Whether a role of that name is declared.
    pub fn contains(&self, name: &str) -> bool {
        self.roles.contains_key(name)
    }

    /// Whether `name` is a declared administrator role.
    pub fn is_admin(&self, name: &str) -> bool {
        self.roles.get(name).is_some_and(|r| r.is_admin)
    }

    /// The role of requests without a user.
    pub fn guest_role(&self) -> &str {
        &self.guest_role
    }
}

impl fmt::Debug for RoleGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleGraph")
            .field("roles", &self.roles)
            .field("walks", &self.walks)
            .field("guest_role", &self.guest_role)
            .field("grouping_lines", &self.enforcer.get_grouping_policy().len())
            .finish()
    }
}

fn policy(err: casbin::Error) -> SetupError {
    SetupError::Policy(err.to_string())
}

/// The items of `list` in order, each once.
fn dedup(list: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item.as_str()) {
            out.push(item);
        }
    }
    out
}

/// A role that is its own ancestor, if any (declared roles, all parents known).
fn find_cycle(order: &[String], roles: &HashMap<String, Role>) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        roles: &'a HashMap<String, Role>,
        marks: &mut HashMap<&'a str, Mark>,
    ) -> Option<String> {
        match marks.get(name) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => return Some(name.to_owned()),
            None => {}
        }
        marks.insert(name, Mark::Open);
        if let Some(role) = roles.get(name) {
            for parent in &role.inherits {
                if let Some(found) = visit(parent, roles, marks) {
                    return Some(found);
                }
            }
        }
        marks.insert(name, Mark::Done);
        None
    }
    let mut marks = HashMap::new();
    order.iter().find_map(|name| visit(name, roles, &mut marks))
}

/// Each role's direct parents as casbin resolves them, ordered as declared.
fn resolve_parents<'a>(
    enforcer: &Enforcer,
    order: &'a [String],
    roles: &'a HashMap<String, Role>,
) -> Result<HashMap<&'a str, Vec<&'a str>>, SetupError> {
    let manager = enforcer.get_role_manager();
    let manager = manager.read();
    let mut out = HashMap::with_capacity(order.len());
    for name in order {
        let resolved: HashSet<String> = manager.get_roles(name, None).into_iter().collect();
        let declared = dedup(&roles[name].inherits);
        let agrees =
            resolved.len() == declared.len() && declared.iter().all(|p| resolved.contains(*p));
        if !agrees {
            return Err(SetupError::Policy(format!(
                "casbin resolves the parents of role `{name}` as {resolved:?}, declared {declared:?}"
            )));
        }
        out.insert(name.as_str(), declared);
    }
    Ok(out)
}

/// Depth-first, parents in order, each role once: eicrud's walk.
fn walk_from(
    start: &str,
    parents: &HashMap<&str, Vec<&str>>,
    names: &HashMap<&str, Arc<str>>,
) -> Vec<Arc<str>> {
    let mut walk: Vec<Arc<str>> = Vec::new();
    let mut stack: Vec<&str> = vec![start];
    while let Some(name) = stack.pop() {
        if walk.iter().any(|seen| &**seen == name) {
            continue;
        }
        if let Some(shared) = names.get(name) {
            walk.push(Arc::clone(shared));
        }
        if let Some(list) = parents.get(name) {
            stack.extend(list.iter().rev());
        }
    }
    walk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    fn walk(graph: &RoleGraph, role: &str) -> Vec<String> {
        graph
            .walk(role)
            .map(|w| w.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default()
    }

    fn eicrud_test_roles() -> Vec<Role> {
        vec![
            Role::new("super_admin").admin().inherits("admin"),
            Role::new("admin")
                .admin()
                .can_mock()
                .inherits("trusted_user"),
            Role::new("trusted_user").inherits("user"),
            Role::new("moderator").inherits("trusted_user"),
            Role::new("user").inherits("guest"),
            Role::new("guest"),
        ]
    }

    #[tokio::test]
    async fn walks_follow_eicrud_order() {
        let graph = RoleGraph::new(eicrud_test_roles(), "guest")
            .await
            .expect("valid");
        assert_eq!(
            walk(&graph, "super_admin"),
            ["super_admin", "admin", "trusted_user", "user", "guest"]
        );
        assert_eq!(
            walk(&graph, "moderator"),
            ["moderator", "trusted_user", "user", "guest"]
        );
        assert_eq!(walk(&graph, "guest"), ["guest"]);
        assert!(graph.walk("nobody").is_none());
        assert!(graph.contains("user") && !graph.contains("nobody"));
        assert!(graph.is_admin("admin") && !graph.is_admin("user") && !graph.is_admin("nobody"));
        assert!(graph.role("admin").is_some_and(|r| r.can_mock));
    }

    #[tokio::test]
    async fn diamond_is_depth_first_without_repeats() {
        // a inherits [b, c]; b inherits [d]; c inherits [d, e].
        let roles = vec![
            Role::new("a").inherits("b").inherits("c"),
            Role::new("b").inherits("d"),
            Role::new("c").inherits("d").inherits("e"),
            Role::new("d"),
            Role::new("e"),
        ];
        let graph = RoleGraph::new(roles, "e").await.expect("valid");
        assert_eq!(walk(&graph, "a"), ["a", "b", "d", "c", "e"]);
    }

    #[tokio::test]
    async fn parent_order_is_declaration_order() {
        // Many parents: casbin's set order must not leak into the walk.
        let mut root = Role::new("root");
        let mut roles = Vec::new();
        for i in (0..12).rev() {
            root = root.inherits(format!("p{i}"));
            roles.push(Role::new(format!("p{i}")));
        }
        roles.push(root);
        let graph = RoleGraph::new(roles, "p0").await.expect("valid");
        let expected: Vec<String> = std::iter::once("root".to_owned())
            .chain((0..12).rev().map(|i| format!("p{i}")))
            .collect();
        assert_eq!(walk(&graph, "root"), expected);
    }

    #[tokio::test]
    async fn repeated_parent_is_walked_once() {
        let roles = vec![Role::new("a").inherits("b").inherits("b"), Role::new("b")];
        let graph = RoleGraph::new(roles, "b").await.expect("valid");
        assert_eq!(walk(&graph, "a"), ["a", "b"]);
    }

    #[tokio::test]
    async fn graph_is_loaded_into_casbin() {
        let graph = RoleGraph::new(eicrud_test_roles(), "guest")
            .await
            .expect("valid");
        let lines = graph.enforcer.get_grouping_policy();
        assert_eq!(lines.len(), 5);
        assert!(lines.contains(&vec!["moderator".to_owned(), "trusted_user".to_owned()]));
        assert!(format!("{graph:?}").contains("grouping_lines: 5"));
    }

    #[test]
    fn setup_errors() {
        let err = |roles: Vec<Role>, guest: &str| block_on(RoleGraph::new(roles, guest)).err();
        assert_eq!(
            err(vec![Role::new("a"), Role::new("a")], "a"),
            Some(SetupError::DuplicateRole("a".into()))
        );
        assert_eq!(
            err(vec![Role::new("a").inherits("ghost")], "a"),
            Some(SetupError::UnknownRole("ghost".into()))
        );
        assert_eq!(
            err(vec![Role::new("a")], "guest"),
            Some(SetupError::UnknownRole("guest".into()))
        );
        assert_eq!(
            err(vec![Role::new("a").inherits("a")], "a"),
            Some(SetupError::RoleCycle("a".into()))
        );
        assert_eq!(
            err(
                vec![
                    Role::new("a").inherits("b"),
                    Role::new("b").inherits("c"),
                    Role::new("c").inherits("a")
                ],
                "a"
            ),
            Some(SetupError::RoleCycle("a".into()))
        );
        assert_eq!(
            SetupError::RoleCycle("a".into()).to_string(),
            "role `a` inherits from itself"
        );
    }

    #[test]
    fn role_graph_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RoleGraph>();
    }
}
