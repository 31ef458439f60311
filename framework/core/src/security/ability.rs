//! Declaring abilities: per service, per role, eicrud's CASL-style rules in Rust.

use crate::shared::Command;

use super::condition::{Condition, and};
use super::crud::Crud;

/// Whether a rule grants or forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Can,
    Cannot,
}

/// What a rule is about, resolved when it is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// CRUD verbs.
    Crud(Crud),
    /// A command, by the rule's action string. `service` is the service of
    /// the command's DTO when the rule was declared from it
    /// ([`RoleRights::can_cmd`]); a string that names no CRUD verbs has
    /// none, and must be a command the service registers.
    Command { service: Option<&'static str> },
    /// A request option (option rules).
    Option,
}

/// What a `can` or `cannot` rule allows or forbids: a set of CRUD verbs or
/// a command. Made from a [`Crud`] set or from an action string
/// (`"crud"`, `"read"`, `"cru"`, or a command name).
///
/// ```
/// use ferrocrud::security::{Crud, RuleAction};
///
/// assert_eq!(RuleAction::from("cr"), RuleAction::from(Crud::CREATE | Crud::READ));
/// assert_eq!(RuleAction::from(Crud::ALL).as_str(), "crud");
/// assert_eq!(RuleAction::from("publish").as_str(), "publish");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAction {
    text: String,
    pub(crate) target: Target,
}

impl RuleAction {
    /// The action as eicrud would write it (`crud`, `read`, a command name).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The CRUD verbs, when the action names some.
    pub fn crud(&self) -> Option<Crud> {
        match self.target {
            Target::Crud(set) => Some(set),
            _ => None,
        }
    }

    fn command<D: Command>() -> Self {
        Self {
            text: D::NAME.to_owned(),
            target: Target::Command {
                service: Some(D::SERVICE),
            },
        }
    }
}

impl From<Crud> for RuleAction {
    fn from(set: Crud) -> Self {
        Self {
            text: set.to_string(),
            target: Target::Crud(set),
        }
    }
}

impl From<&str> for RuleAction {
    fn from(action: &str) -> Self {
        match Crud::parse(action) {
            // Spelt as declared: `GET` stays `GET`.
            Some(set) => Self {
                text: action.to_owned(),
                target: Target::Crud(set),
            },
            None => Self {
                text: action.to_owned(),
                target: Target::Command { service: None },
            },
        }
    }
}

impl From<&String> for RuleAction {
    fn from(action: &String) -> Self {
        Self::from(action.as_str())
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
    pub(crate) action: RuleAction,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) condition: Option<Condition>,
}

impl Rule {
    fn new(effect: Effect, action: RuleAction) -> Self {
        Self {
            effect,
            action,
            fields: None,
            condition: None,
        }
    }

    fn option(effect: Effect, option: &str) -> Self {
        Self::new(
            effect,
            RuleAction {
                text: option.to_owned(),
                target: Target::Option,
            },
        )
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

    /// The action as declared (for an option rule, the option).
    pub fn action(&self) -> &str {
        self.action.as_str()
    }

    /// The CRUD verbs of the rule, when it is about some.
    pub fn crud(&self) -> Option<Crud> {
        self.action.crud()
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
    /// Declared with [`ServiceSecurity::declare_role`]: the role has a CRUD
    /// entry even without a CRUD rule.
    pub(crate) declared: bool,
    /// Given an empty closure by [`ServiceSecurity::role`]: refused at
    /// build time.
    pub(crate) empty_declaration: bool,
}

impl RoleRights {
    /// Allows `action`: a set of CRUD verbs, typed ([`Crud::ALL`],
    /// `Crud::CREATE | Crud::READ`) or as eicrud writes it (`create`,
    /// `read`, `update`, `delete`, `POST`, `GET`, `PATCH`, `DELETE`, or a
    /// letter combination such as `crud` or `ru`), or a command name (see
    /// also [`RoleRights::can_cmd`]). A string that is neither a CRUD action
    /// nor a command of the service stops the application at build time.
    pub fn can(&mut self, action: impl Into<RuleAction>) -> &mut Rule {
        self.push(Rule::new(Effect::Can, action.into()))
    }

    /// Forbids `action` (see [`RoleRights::can`]).
    pub fn cannot(&mut self, action: impl Into<RuleAction>) -> &mut Rule {
        self.push(Rule::new(Effect::Cannot, action.into()))
    }

    /// Allows the command of DTO `D`; its conditions and field lists name
    /// the DTO's fields. The application refuses to build when `D` belongs
    /// to another service or is not registered.
    ///
    /// ```
    /// use ferrocrud::security::ServiceSecurity;
    /// use ferrocrud::shared::user::LoginDto;
    ///
    /// let security = ServiceSecurity::new().role("guest", |r| {
    ///     r.can_cmd::<LoginDto>();
    /// });
    /// assert_eq!(security.rights("guest").map(|r| r.rules()[0].action()), Some("login"));
    /// ```
    pub fn can_cmd<D: Command>(&mut self) -> &mut Rule {
        self.push(Rule::new(Effect::Can, RuleAction::command::<D>()))
    }

    /// Forbids the command of DTO `D` (see [`RoleRights::can_cmd`]).
    pub fn cannot_cmd<D: Command>(&mut self) -> &mut Rule {
        self.push(Rule::new(Effect::Cannot, RuleAction::command::<D>()))
    }

    /// Allows the request option `option` (e.g. `returnUpdatedEntity`,
    /// `populate`). Its "fields" are the option's values as strings.
    pub fn can_option(&mut self, option: &str) -> &mut Rule {
        self.option_rules.push(Rule::option(Effect::Can, option));
        self.last_option_rule()
    }

    /// Forbids the request option `option`.
    pub fn cannot_option(&mut self, option: &str) -> &mut Rule {
        self.option_rules.push(Rule::option(Effect::Cannot, option));
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

    fn push(&mut self, rule: Rule) -> &mut Rule {
        self.rules.push(rule);
        let index = self.rules.len() - 1;
        &mut self.rules[index]
    }

    fn last_option_rule(&mut self) -> &mut Rule {
        let index = self.option_rules.len() - 1;
        &mut self.option_rules[index]
    }

    /// Whether the role has a CRUD entry in the service (eicrud's
    /// `rolesRights[role]`): it was declared with
    /// [`ServiceSecurity::declare_role`], or declared something that is not
    /// about a command (a CRUD or option rule, a batch size, read fields).
    /// A role whose declaration is only about commands has none, so it fails
    /// CRUD requests on `all`, as in eicrud where command rights live apart.
    pub(crate) fn has_crud_entry(&self) -> bool {
        self.declared
            || self.rules.iter().any(|rule| rule.crud().is_some())
            || !self.option_rules.is_empty()
            || self.max_batch_size.is_some()
            || self.read_fields.is_some()
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
    ///
    /// A closure that declares nothing (`|_| {}`) stops the application at
    /// build time ([`SetupError::EmptyRole`](crate::error::SetupError::EmptyRole)):
    /// it used to give the role a CRUD entry without rules, which
    /// [`ServiceSecurity::declare_role`] now says in words.
    #[must_use]
    pub fn role(mut self, role: &str, declare: impl FnOnce(&mut RoleRights)) -> Self {
        let rights = self.entry(role);
        let mut declared = RoleRights::default();
        declare(&mut declared);
        if declared.is_empty() {
            rights.empty_declaration = true;
        }
        rights.append(declared);
        self
    }

    /// Declares `role` in the service without granting anything: the role
    /// gets a CRUD entry with no rule (eicrud's `guest: {}` in
    /// `rolesRights`). Everything stays forbidden; what changes is how a
    /// CRUD request is refused. Without an entry the role fails on `all`;
    /// with one, the rules decide field by field, so a request with data
    /// fails on its first field (`guest failed on title`), as in eicrud.
    /// Rules declared for the role with [`ServiceSecurity::role`], before or
    /// after, are kept.
    ///
    /// ```
    /// use ferrocrud::security::{ServiceSecurity, eq, user_id};
    ///
    /// let posts = ServiceSecurity::new()
    ///     .role("user", |r| {
    ///         r.can("crud").when(eq("owner", user_id()));
    ///     })
    ///     .declare_role("guest");
    /// assert!(posts.rights("guest").is_some_and(|r| r.rules().is_empty()));
    /// ```
    #[must_use]
    pub fn declare_role(mut self, role: &str) -> Self {
        self.entry(role).declared = true;
        self
    }

    /// The rights of `role`, added empty if new.
    fn entry(&mut self, role: &str) -> &mut RoleRights {
        let index = match self.roles.iter().position(|(name, _)| name == role) {
            Some(index) => index,
            None => {
                self.roles.push((role.to_owned(), RoleRights::default()));
                self.roles.len() - 1
            }
        };
        &mut self.roles[index].1
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
    fn action_strings_name_verbs_or_commands() {
        assert_eq!(RuleAction::from("crud").crud(), Some(Crud::ALL));
        assert_eq!(RuleAction::from("GET").crud(), Some(Crud::READ));
        assert_eq!(RuleAction::from("GET").as_str(), "GET");
        assert_eq!(
            RuleAction::from("cu"),
            RuleAction::from(Crud::CREATE | Crud::UPDATE)
        );
        for command in ["login", "get", "manage", "cdur", "reed"] {
            let action = RuleAction::from(command);
            assert_eq!(action.crud(), None, "{command}");
            assert_eq!(action.target, Target::Command { service: None });
        }
    }

    #[test]
    fn can_cmd_names_the_command_and_its_service() {
        use crate::shared::user::{LoginDto, TimeoutUserDto};
        let mut rights = RoleRights::default();
        rights.can_cmd::<LoginDto>();
        rights
            .cannot_cmd::<TimeoutUserDto>()
            .when(eq("userId", "u"));
        let rules = rights.rules();
        assert_eq!((rules[0].action(), rules[0].is_can()), ("login", true));
        assert_eq!(
            rules[0].action.target,
            Target::Command {
                service: Some("user")
            }
        );
        assert_eq!(
            (rules[1].action(), rules[1].is_can()),
            ("timeout_user", false)
        );
        assert!(!rights.has_crud_entry());
    }

    #[test]
    fn role_appends() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.can("read");
            })
            .declare_role("guest")
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
        assert!(!rights(|_| {}));
        assert!(rights(|r| {
            r.can("read");
        }));
        assert!(rights(|r| {
            r.can(Crud::READ | Crud::DELETE);
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

    #[test]
    fn declare_role_gives_a_crud_entry_and_keeps_rules() {
        let security = ServiceSecurity::new()
            .declare_role("guest")
            .role("guest", |r| {
                r.can("login");
            });
        let guest = security.rights("guest").expect("declared");
        assert!(guest.has_crud_entry() && !guest.empty_declaration);
        assert_eq!(guest.rules().len(), 1);
        let security = ServiceSecurity::new()
            .role("guest", |r| {
                r.can("login");
            })
            .declare_role("guest");
        assert!(
            security
                .rights("guest")
                .is_some_and(RoleRights::has_crud_entry)
        );
    }

    #[test]
    fn an_empty_closure_is_marked_for_refusal() {
        let security = ServiceSecurity::new().role("guest", |_| {});
        let guest = security.rights("guest").expect("declared");
        assert!(guest.empty_declaration && !guest.has_crud_entry());
    }
}
