//! Declaring abilities: per service, per role, eicrud's CASL-style rules in Rust.

use crate::context::Verb;

use super::condition::{Condition, and};

/// Whether a rule grants or forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Can,
    Cannot,
}

/// What a rule's action string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionSpec {
    /// CRUD verbs.
    Verbs(Vec<Verb>),
    /// A command of the service.
    Command(String),
}

impl ActionSpec {
    /// Reads an action string: `create`/`read`/`update`/`delete`, the method
    /// names `POST`/`GET`/`PATCH`/`DELETE`, eicrud's letter combinations
    /// (`crud`, `cru`, `crd`, `cud`, `rud`, `cr`, `cu`, `cd`, `ru`, `rd`,
    /// `ud`); anything else is a command name.
    pub(crate) fn parse(action: &str) -> ActionSpec {
        let verbs: &[Verb] = match action {
            "create" | "POST" => &[Verb::Post],
            "read" | "GET" => &[Verb::Get],
            "update" | "PATCH" => &[Verb::Patch],
            "delete" | "DELETE" => &[Verb::Delete],
            "crud" => &[Verb::Post, Verb::Get, Verb::Patch, Verb::Delete],
            "cru" => &[Verb::Post, Verb::Get, Verb::Patch],
            "crd" => &[Verb::Post, Verb::Get, Verb::Delete],
            "cud" => &[Verb::Post, Verb::Patch, Verb::Delete],
            "rud" => &[Verb::Get, Verb::Patch, Verb::Delete],
            "cr" => &[Verb::Post, Verb::Get],
            "cu" => &[Verb::Post, Verb::Patch],
            "cd" => &[Verb::Post, Verb::Delete],
            "ru" => &[Verb::Get, Verb::Patch],
            "rd" => &[Verb::Get, Verb::Delete],
            "ud" => &[Verb::Patch, Verb::Delete],
            command => return ActionSpec::Command(command.to_owned()),
        };
        ActionSpec::Verbs(verbs.to_vec())
    }
}

/// One `can` or `cannot` rule: an action, optionally restricted to fields
/// and to subjects that satisfy a condition.
///
/// Made by [`RoleRights::can`], [`RoleRights::cannot`],
/// [`RoleRights::can_option`] and [`RoleRights::cannot_option`]; refined
/// with [`Rule::when`] and [`Rule::fields`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub(crate) effect: Effect,
    pub(crate) action: String,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) condition: Option<Condition>,
}

impl Rule {
    fn new(effect: Effect, action: &str) -> Self {
        Self {
            effect,
            action: action.to_owned(),
            fields: None,
            condition: None,
        }
    }

    /// The rule applies only to subjects on which `condition` is
    /// [`Truth::True`](super::Truth::True). Called twice, both conditions
    /// must hold.
    pub fn when(&mut self, condition: Condition) -> &mut Rule {
        self.condition = Some(match self.condition.take() {
            None => condition,
            Some(Condition::And(mut items)) => {
                items.push(condition);
                Condition::And(items)
            }
            Some(earlier) => and(vec![earlier, condition]),
        });
        self
    }

    /// The rule applies only to these fields (for an option rule: these
    /// option values). A rule with a field list never applies to a request
    /// without data (the pseudo-field `all`), so it never grants a read or a
    /// delete. Called twice, the lists add up.
    pub fn fields(&mut self, fields: &[&str]) -> &mut Rule {
        self.fields
            .get_or_insert_with(Vec::new)
            .extend(fields.iter().map(|f| (*f).to_owned()));
        self
    }

    /// Whether this rule grants (`can`) rather than forbids (`cannot`).
    pub fn is_can(&self) -> bool {
        self.effect == Effect::Can
    }

    /// The action as declared.
    pub fn action(&self) -> &str {
        &self.action
    }
}

/// What one role may do in one service: its CRUD, command and option rules
/// and its limits. Filled by the closure given to [`ServiceSecurity::role`].
///
/// Within a role, the **last** declared rule that applies decides: a
/// `cannot` after a `can` wins, a `can` after a `cannot` wins. No rule that
/// applies means forbidden.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleRights {
    pub(crate) rules: Vec<Rule>,
    pub(crate) option_rules: Vec<Rule>,
    pub(crate) max_batch_size: Option<u64>,
    pub(crate) command_max_batch_size: Vec<(String, u64)>,
    pub(crate) read_fields: Option<Vec<String>>,
    /// Declared once with an empty closure: a CRUD entry with no rule.
    pub(crate) declared_empty: bool,
}

impl RoleRights {
    /// Allows `action`: a CRUD action (`create`, `read`, `update`, `delete`,
    /// `POST`, `GET`, `PATCH`, `DELETE`, or a letter combination such as
    /// `crud` or `ru`) or a command name.
    pub fn can(&mut self, action: &str) -> &mut Rule {
        self.rules.push(Rule::new(Effect::Can, action));
        self.last_rule()
    }

    /// Forbids `action` (see [`RoleRights::can`] for the action strings).
    pub fn cannot(&mut self, action: &str) -> &mut Rule {
        self.rules.push(Rule::new(Effect::Cannot, action));
        self.last_rule()
    }

    /// Allows the request option `option` (e.g. `returnUpdatedEntity`,
    /// `populate`). Its "fields" are the option's values as strings.
    pub fn can_option(&mut self, option: &str) -> &mut Rule {
        self.option_rules.push(Rule::new(Effect::Can, option));
        self.last_option_rule()
    }

    /// Forbids the request option `option`.
    pub fn cannot_option(&mut self, option: &str) -> &mut Rule {
        self.option_rules.push(Rule::new(Effect::Cannot, option));
        self.last_option_rule()
    }

    /// The largest CRUD batch this role may send (the largest over the role
    /// and its ancestors applies).
    pub fn max_batch_size(&mut self, size: u64) -> &mut Self {
        self.max_batch_size = Some(size);
        self
    }

    /// The largest batch this role may send to `command`.
    pub fn command_max_batch_size(&mut self, command: &str, size: u64) -> &mut Self {
        self.command_max_batch_size.push((command.to_owned(), size));
        self
    }

    /// The projection forced on reads (and `returnUpdatedEntity`) when this
    /// role is the one that passes.
    pub fn read_fields(&mut self, fields: &[&str]) -> &mut Self {
        self.read_fields = Some(fields.iter().map(|f| (*f).to_owned()).collect());
        self
    }

    /// The CRUD and command rules, in declaration order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The option rules, in declaration order.
    pub fn option_rules(&self) -> &[Rule] {
        &self.option_rules
    }

    fn last_rule(&mut self) -> &mut Rule {
        let index = self.rules.len() - 1;
        &mut self.rules[index]
    }

    fn last_option_rule(&mut self) -> &mut Rule {
        let index = self.option_rules.len() - 1;
        &mut self.option_rules[index]
    }

    /// Whether the role has a CRUD entry in the service (eicrud's
    /// `rolesRights[role]`): it declared something that is not about a
    /// command, or nothing at all (an empty closure). A role whose
    /// declaration is only about commands has none, so it fails CRUD
    /// requests on `all`, as in eicrud where command rights live apart.
    pub(crate) fn has_crud_entry(&self) -> bool {
        let mut crud_rules = 0;
        for rule in &self.rules {
            if let ActionSpec::Verbs(_) = ActionSpec::parse(&rule.action) {
                crud_rules += 1;
            }
        }
        let command_scoped =
            self.rules.len() > crud_rules || !self.command_max_batch_size.is_empty();
        let crud_scoped = crud_rules > 0
            || !self.option_rules.is_empty()
            || self.max_batch_size.is_some()
            || self.read_fields.is_some();
        crud_scoped || self.declared_empty || !command_scoped
    }

    fn append(&mut self, other: RoleRights) {
        self.rules.extend(other.rules);
        self.option_rules.extend(other.option_rules);
        if other.max_batch_size.is_some() {
            self.max_batch_size = other.max_batch_size;
        }
        self.command_max_batch_size
            .extend(other.command_max_batch_size);
        if other.read_fields.is_some() {
            self.read_fields = other.read_fields;
        }
    }

    fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.option_rules.is_empty()
            && self.max_batch_size.is_none()
            && self.command_max_batch_size.is_empty()
            && self.read_fields.is_none()
    }
}

/// The abilities of one service: per role, what it may do.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::{eq, user_id, ServiceSecurity};
///
/// let security = ServiceSecurity::new()
///     .role("user", |r| {
///         r.can("crud").when(eq("owner", user_id()));
///         r.cannot("update").fields(&["owner"]);
///         r.can_option("returnUpdatedEntity");
///         r.max_batch_size(10);
///     })
///     .role("guest", |r| {
///         r.can("create_account").when(eq("role", "user"));
///         r.can("login");
///     })
///     .always_exclude_fields(&["password"]);
/// assert_eq!(security.rights("user").map(|r| r.rules().len()), Some(2));
/// assert_eq!(security.always_excluded(), ["password"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceSecurity {
    pub(crate) roles: Vec<(String, RoleRights)>,
    pub(crate) always_exclude: Vec<String>,
}

impl ServiceSecurity {
    /// No role may do anything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares rights for `role`. Called again for the same role, the new
    /// declarations are appended after the earlier ones.
    #[must_use]
    pub fn role(mut self, role: &str, declare: impl FnOnce(&mut RoleRights)) -> Self {
        let index = match self.roles.iter().position(|(name, _)| name == role) {
            Some(index) => index,
            None => {
                self.roles.push((role.to_owned(), RoleRights::default()));
                self.roles.len() - 1
            }
        };
        let rights = &mut self.roles[index].1;
        let mut declared = RoleRights::default();
        declare(&mut declared);
        if declared.is_empty() {
            rights.declared_empty = true;
        }
        rights.append(declared);
        self
    }

    /// Fields never returned by reads of this service, whatever the role.
    #[must_use]
    pub fn always_exclude_fields(mut self, fields: &[&str]) -> Self {
        self.always_exclude
            .extend(fields.iter().map(|f| (*f).to_owned()));
        self
    }

    /// The rights declared for `role`.
    pub fn rights(&self, role: &str) -> Option<&RoleRights> {
        self.roles
            .iter()
            .find(|(name, _)| name == role)
            .map(|(_, r)| r)
    }

    /// The fields never returned by reads.
    pub fn always_excluded(&self) -> &[String] {
        &self.always_exclude
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::condition::{eq, ne};

    #[test]
    fn action_strings() {
        use Verb::{Delete as D, Get as G, Patch as P, Post as C};
        let verbs = |s: &str| match ActionSpec::parse(s) {
            ActionSpec::Verbs(v) => v,
            ActionSpec::Command(_) => Vec::new(),
        };
        assert_eq!(verbs("create"), [C]);
        assert_eq!(verbs("GET"), [G]);
        assert_eq!(verbs("update"), [P]);
        assert_eq!(verbs("DELETE"), [D]);
        assert_eq!(verbs("crud"), [C, G, P, D]);
        assert_eq!(verbs("rud"), [G, P, D]);
        assert_eq!(verbs("cd"), [C, D]);
        assert_eq!(verbs("ud"), [P, D]);
        assert_eq!(
            ActionSpec::parse("login"),
            ActionSpec::Command("login".into())
        );
        assert_eq!(ActionSpec::parse("get"), ActionSpec::Command("get".into()));
        assert_eq!(
            ActionSpec::parse("manage"),
            ActionSpec::Command("manage".into())
        );
    }

    #[test]
    fn role_appends() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.can("read");
            })
            .role("guest", |_| {})
            .role("user", |r| {
                r.cannot("read");
            });
        let user = security.rights("user").expect("declared");
        assert_eq!(user.rules().len(), 2);
        assert!(user.rules()[0].is_can() && !user.rules()[1].is_can());
        assert_eq!(security.roles.len(), 2);
    }

    #[test]
    fn when_and_fields_accumulate() {
        let mut rights = RoleRights::default();
        rights
            .can("update")
            .when(eq("a", 1))
            .when(ne("b", 2))
            .when(eq("c", 3))
            .fields(&["x"])
            .fields(&["y"]);
        let rule = &rights.rules()[0];
        assert_eq!(
            rule.condition,
            Some(and(vec![eq("a", 1), ne("b", 2), eq("c", 3)]))
        );
        assert_eq!(
            rule.fields.as_deref(),
            Some(&["x".to_owned(), "y".to_owned()][..])
        );
        assert_eq!(rule.action(), "update");
    }

    #[test]
    fn crud_entry() {
        let rights = |f: fn(&mut RoleRights)| {
            let mut r = RoleRights::default();
            f(&mut r);
            r.has_crud_entry()
        };
        assert!(rights(|_| {}));
        assert!(rights(|r| {
            r.can("read");
        }));
        assert!(rights(|r| {
            r.max_batch_size(3);
        }));
        assert!(rights(|r| {
            r.can("login");
            r.can_option("populate");
        }));
        assert!(!rights(|r| {
            r.can("login");
        }));
        assert!(!rights(|r| {
            r.command_max_batch_size("login", 2);
        }));
    }
}
