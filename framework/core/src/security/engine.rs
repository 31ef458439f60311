//! The engine: abilities compiled into per-service, per-role tables, and the
//! decision taken on them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use foldhash::fast::RandomState;
use serde_json::{Map, Value};

use crate::context::Verb;
use crate::error::{Denied, SetupError};

use super::FastMap;
use super::ability::{RoleRights, Rule, ServiceSecurity, Target};
use super::condition::Caller;
use super::role::RoleGraph;
use super::rules::{Field, RuleList};

/// The fields of an entity or a DTO, by wire name, for start-up checks.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::KnownFields;
///
/// let post = KnownFields::new("Post", &["id", "title", "owner"]);
/// assert_eq!(post.type_name, "Post");
/// assert!(post.has("owner") && !post.has("author"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFields {
    /// The type's name as clients know it (`Post`, `CreateAccountDto`).
    pub type_name: String,
    /// The fields' wire names.
    pub fields: Vec<String>,
    /// The fields holding `date-time`s: a rule's constants compared with
    /// them are brought to canonical form at start
    /// ([`Condition::canonicalise_date_times`](super::Condition::canonicalise_date_times)).
    pub date_times: Vec<String>,
}

impl KnownFields {
    /// The fields `fields` of the type `type_name`.
    pub fn new(type_name: impl Into<String>, fields: &[&str]) -> Self {
        Self {
            type_name: type_name.into(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            date_times: Vec::new(),
        }
    }

    /// Names the fields among `fields` that hold `date-time`s.
    #[must_use]
    pub fn with_date_times(mut self, fields: &[&str]) -> Self {
        self.date_times = fields.iter().map(|f| (*f).to_owned()).collect();
        self
    }

    /// Whether the type has the field `name`.
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f == name)
    }
}

/// The fields of a service's entity and of each of its commands' DTOs.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::{KnownFields, ServiceFields};
///
/// let fields = ServiceFields::new(KnownFields::new("User", &["id", "email", "role"]))
///     .command("login", KnownFields::new("LoginDto", &["email", "password"]));
/// assert!(fields.commands.contains_key("login"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFields {
    /// The entity: CRUD and option rules name its fields.
    pub entity: KnownFields,
    /// Each registered command's DTO, by command name.
    pub commands: HashMap<String, KnownFields>,
    /// Entity fields a CRUD write may set only through a rule that names
    /// them in its field list (`x-explicit`, such as the user's `role`).
    pub explicit: Vec<String>,
}

impl ServiceFields {
    /// A service with this entity and no command.
    pub fn new(entity: KnownFields) -> Self {
        Self {
            entity,
            commands: HashMap::new(),
            explicit: Vec::new(),
        }
    }

    /// Marks entity fields that a CRUD write may set only through a rule
    /// whose field list names them.
    #[must_use]
    pub fn explicit(mut self, fields: &[&str]) -> Self {
        self.explicit.extend(fields.iter().map(|f| (*f).to_owned()));
        self
    }

    /// Registers the command `name` with the DTO `dto`.
    #[must_use]
    pub fn command(mut self, name: impl Into<String>, dto: KnownFields) -> Self {
        self.commands.insert(name.into(), dto);
        self
    }
}

/// What a request asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// A CRUD operation, by its verb.
    Crud(Verb),
    /// A command, by its name.
    Command(&'a str),
}

/// One authorization question, built by the HTTP layer (or by application
/// code) from a decoded request.
#[derive(Debug, Clone, Copy)]
pub struct AuthzRequest<'a> {
    /// The service addressed.
    pub service: &'a str,
    /// The CRUD verb or the command.
    pub action: Action<'a>,
    /// The HTTP method, printed in the refusal (commands: `POST`, `PATCH` or `GET`).
    pub method: Verb,
    /// The starting role and the user id.
    pub caller: Caller<'a>,
    /// The subjects every rule is checked on; every one must pass. GET and
    /// DELETE: the query; PATCH: the query, then the query merged with the
    /// data; POST and commands: the data or DTO. No subject is checked as
    /// one empty object.
    pub subjects: &'a [&'a Map<String, Value>],
    /// The keys of the data or DTO in the order sent; empty means the
    /// pseudo-field `all` (reads, deletes, empty bodies).
    pub fields: &'a [&'a str],
    /// The options that need an option ability, with their values as
    /// strings (booleans as `true`); no value means the pseudo-field `all`.
    pub options: &'a [(&'a str, Vec<String>)],
}

/// A request that some role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorized<'a> {
    /// The role that passed: the caller's or one of its ancestors.
    pub role: &'a str,
    /// The projection that role forces on reads (and `returnUpdatedEntity`).
    pub read_fields: Option<&'a [String]>,
    /// The fields every `can` rule of that role for the verb pins to one
    /// value with an `eq` (a limiting key such as `owner`): a query may
    /// filter on them even where the projection hides them, since every row
    /// it can match holds the value the rule names. Empty for commands.
    pub pinned_fields: &'a [String],
}

/// One role's abilities in one service.
#[derive(Debug, Default)]
struct RoleTable {
    /// CRUD rules per verb (indexed by [`verb_index`]); `None` when the role
    /// has no CRUD entry in the service.
    crud: Option<[RuleList; 4]>,
    /// Command rules per command; a command missing here is "no entry".
    commands: FastMap<Box<str>, RuleList>,
    /// Option rules per option name.
    options: FastMap<Box<str>, RuleList>,
    max_batch_size: Option<u64>,
    command_max_batch_size: FastMap<Box<str>, u64>,
    read_fields: Option<Vec<String>>,
    /// Per verb (indexed by [`verb_index`]): [`RuleList::pinned_fields`].
    pinned: [Box<[String]>; 4],
}

/// One service's compiled abilities.
#[derive(Debug, Default)]
struct ServiceTable {
    roles: FastMap<Box<str>, RoleTable>,
    always_exclude: Vec<String>,
    /// Fields only a rule naming them allows a CRUD write to set.
    explicit: Box<[String]>,
}

/// Why a role failed: printed as the field of a refusal.
#[derive(Clone, Copy)]
enum Failure<'a> {
    /// No entry for the role, or no data and no rule allowing `all`.
    All,
    /// The first field refused.
    Field(&'a str),
    /// An option value refused (eicrud prints `option->value`).
    Option(&'a str, &'a str),
    /// The caller's role is not declared.
    UnknownRole,
}

impl fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::All => f.write_str("all"),
            Failure::Field(name) => f.write_str(name),
            Failure::Option(option, value) => write!(f, "{option}->{value}"),
            Failure::UnknownRole => f.write_str("unknown role"),
        }
    }
}

fn verb_index(verb: Verb) -> usize {
    match verb {
        Verb::Post => 0,
        Verb::Get => 1,
        Verb::Patch => 2,
        Verb::Delete => 3,
    }
}

#[doc = include_str!("docs/authorizer.md")]
pub struct Authorizer {
    roles: Arc<RoleGraph>,
    services: FastMap<String, ServiceTable>,
    admin_default_batch_size: u64,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("roles", &self.roles)
            .field("services", &self.services)
            .field("admin_default_batch_size", &self.admin_default_batch_size)
            .finish()
    }
}

impl Authorizer {
    /// Checks and compiles the abilities of every service.
    ///
    /// `admin_default_batch_size` is the batch size administrator roles
    /// get at least (eicrud: 100).
    ///
    /// # Errors
    ///
    /// - [`SetupError::DuplicateService`]: two services with one name;
    /// - [`SetupError::UnknownRole`]: rights declared for an undeclared role;
    /// - [`SetupError::UnknownAction`]: a rule's action string is neither
    ///   a CRUD action nor a command the service registers (`cdur`, `reed`);
    /// - [`SetupError::UnknownCommand`]: a `can_cmd` rule or a batch size
    ///   names a command the service does not register;
    /// - [`SetupError::CommandOfOtherService`]: a `can_cmd` rule names the
    ///   command of another service's DTO;
    /// - [`SetupError::EmptyRole`]: `ServiceSecurity::role` was given a
    ///   closure that declares nothing (use `declare_role`);
    /// - [`SetupError::UnknownField`]: a condition or field list names a
    ///   field that the entity (CRUD and option rules, read projections)
    ///   or the command's DTO (command rules) does not have. Only the first
    ///   step of a dotted path is checked. The field lists of option rules
    ///   are option values (`true`, relation names, numbers), not checked;
    /// - [`SetupError::UnknownExcludedField`]: an always excluded field the
    ///   entity does not have.
    pub fn new(
        roles: Arc<RoleGraph>,
        services: Vec<(String, ServiceSecurity, ServiceFields)>,
        admin_default_batch_size: u64,
    ) -> Result<Self, SetupError> {
        let mut tables = FastMap::with_capacity_and_hasher(services.len(), RandomState::default());
        for (name, security, fields) in services {
            if tables.contains_key(&name) {
                return Err(SetupError::DuplicateService(name));
            }
            let table = compile_service(&name, &roles, &security, &fields)?;
            tables.insert(name, table);
        }
        Ok(Self {
            roles,
            services: tables,
            admin_default_batch_size,
        })
    }

    /// Decides `request`: the role that allows it, or the refusal.
    ///
    /// # Errors
    ///
    /// [`Denied`] when no role of the caller's walk allows the request, or
    /// the caller's role is not declared (it then fails on `unknown role`).
    pub fn authorize(&self, request: &AuthzRequest<'_>) -> Result<Authorized<'_>, Denied> {
        let empty = Map::new();
        let fallback = [&empty];
        let subjects: &[&Map<String, Value>] = if request.subjects.is_empty() {
            &fallback
        } else {
            request.subjects
        };
        let service = self.services.get(request.service);
        // Only CRUD writes name entity fields; a command's fields are its DTO's.
        let explicit: &[String] = match request.action {
            Action::Crud(_) => service.map_or(&[], |s| &s.explicit),
            Action::Command(_) => &[],
        };
        let Some(walk) = self.roles.walk(request.caller.role) else {
            return Err(denied(
                request,
                vec![(
                    request.caller.role.to_owned(),
                    Failure::UnknownRole.to_string(),
                )],
            ));
        };
        for role in walk {
            let table = service.and_then(|s| s.roles.get(&**role));
            if check_role(table, request, subjects, explicit).is_ok() {
                let pinned_fields = match (table, request.action) {
                    (Some(table), Action::Crud(verb)) => &table.pinned[verb_index(verb)][..],
                    _ => &[],
                };
                return Ok(Authorized {
                    role,
                    read_fields: table.and_then(|t| t.read_fields.as_deref()),
                    pinned_fields,
                });
            }
        }
        // Refused: walk again to name each failure (only now allocating).
        let tried = walk
            .iter()
            .map(|role| {
                let table = service.and_then(|s| s.roles.get(&**role));
                let failure = check_role(table, request, subjects, explicit)
                    .err()
                    .unwrap_or(Failure::All);
                (role.to_string(), failure.to_string())
            })
            .collect();
        Err(denied(request, tried))
    }

    /// The largest batch `role` may send to `service` (to `command` if
    /// given): the largest setting over the role's walk, at least the admin
    /// default for an administrator role. `None` when nothing allows
    /// batching, or the service or role is unknown.
    pub fn max_batch_size(&self, service: &str, command: Option<&str>, role: &str) -> Option<u64> {
        let walk = self.roles.walk(role)?;
        let table = self.services.get(service)?;
        let mut max = 0;
        for name in walk {
            let Some(rights) = table.roles.get(&**name) else {
                continue;
            };
            let size = match command {
                Some(command) => rights.command_max_batch_size.get(command).copied(),
                None => rights.max_batch_size,
            };
            max = max.max(size.unwrap_or(0));
        }
        if self.roles.is_admin(role) {
            max = max.max(self.admin_default_batch_size);
        }
        (max > 0).then_some(max)
    }

    /// The limiting keys of `service` for `verb`: per role that declares
    /// rules there, the fields every `can` rule of that role pins with an
    /// `eq` ([`Authorized::pinned_fields`]), roles in name order; roles that
    /// pin nothing are left out.
    pub fn limiting_keys(&self, service: &str, verb: Verb) -> Vec<(&str, &[String])> {
        let Some(table) = self.services.get(service) else {
            return Vec::new();
        };
        let mut keys: Vec<(&str, &[String])> = table
            .roles
            .iter()
            .map(|(role, rights)| (&**role, &rights.pinned[verb_index(verb)][..]))
            .filter(|(_, pinned)| !pinned.is_empty())
            .collect();
        keys.sort_unstable_by_key(|(role, _)| *role);
        keys
    }

    /// The fields reads of `service` never return (empty for an unknown service).
    pub fn always_excluded(&self, service: &str) -> &[String] {
        self.services
            .get(service)
            .map_or(&[], |s| s.always_exclude.as_slice())
    }

    /// The role graph the decisions walk.
    pub fn roles(&self) -> &RoleGraph {
        &self.roles
    }
}

fn denied(request: &AuthzRequest<'_>, tried: Vec<(String, String)>) -> Denied {
    Denied {
        role: request.caller.role.to_owned(),
        method: request.method.as_str(),
        service: request.service.to_owned(),
        command: match request.action {
            Action::Crud(_) => None,
            Action::Command(command) => Some(command.to_owned()),
        },
        tried,
    }
}

/// One role's verdict; `subjects` is never empty.
fn check_role<'r>(
    table: Option<&RoleTable>,
    request: &AuthzRequest<'r>,
    subjects: &[&Map<String, Value>],
    explicit: &[String],
) -> Result<(), Failure<'r>> {
    let Some(table) = table else {
        return Err(Failure::All);
    };
    let rules: &RuleList = match request.action {
        Action::Crud(verb) => match &table.crud {
            Some(by_verb) => &by_verb[verb_index(verb)],
            None => return Err(Failure::All),
        },
        Action::Command(command) => match table.commands.get(command) {
            Some(rules) => rules,
            None => return Err(Failure::All),
        },
    };
    let caller = &request.caller;
    for subject in subjects {
        let candidates = rules.candidates(subject, caller);
        if request.fields.is_empty() {
            if !candidates.allows(Field::All) {
                return Err(Failure::All);
            }
        } else {
            for field in request.fields {
                let checked = if explicit.iter().any(|e| e == field) {
                    Field::Explicit(field)
                } else {
                    Field::Named(field)
                };
                if !candidates.allows(checked) {
                    return Err(Failure::Field(field));
                }
            }
        }
    }
    let Some(first) = subjects.first() else {
        return Ok(());
    };
    for (option, values) in request.options {
        // An option without rules is refused, as if no rule applied.
        let Some(rules) = table.options.get(*option) else {
            let value = values.first().map_or("all", String::as_str);
            return Err(Failure::Option(option, value));
        };
        let candidates = rules.candidates(first, caller);
        if values.is_empty() {
            if !candidates.allows(Field::All) {
                return Err(Failure::Option(option, "all"));
            }
        } else {
            for value in values {
                if !candidates.allows(Field::Named(value)) {
                    return Err(Failure::Option(option, value));
                }
            }
        }
    }
    Ok(())
}

fn compile_service(
    service: &str,
    graph: &RoleGraph,
    security: &ServiceSecurity,
    fields: &ServiceFields,
) -> Result<ServiceTable, SetupError> {
    for field in &security.always_exclude {
        if !fields.entity.has(field) {
            return Err(SetupError::UnknownExcludedField {
                service: service.to_owned(),
                field: field.clone(),
                type_name: fields.entity.type_name.clone(),
            });
        }
    }
    let mut roles = FastMap::with_capacity_and_hasher(security.roles.len(), RandomState::default());
    for (role, rights) in &security.roles {
        if !graph.contains(role) {
            return Err(SetupError::UnknownRole(role.clone()));
        }
        let table = compile_role(&Names { service, role }, rights, fields)?;
        roles.insert(role.clone().into_boxed_str(), table);
    }
    Ok(ServiceTable {
        roles,
        always_exclude: security.always_exclude.clone(),
        explicit: fields.explicit.clone().into_boxed_slice(),
    })
}

/// Where a rule was declared, for error messages.
struct Names<'a> {
    service: &'a str,
    role: &'a str,
}

impl Names<'_> {
    fn unknown_field(&self, field: &str, known: &KnownFields) -> SetupError {
        SetupError::UnknownField {
            service: self.service.to_owned(),
            role: self.role.to_owned(),
            field: field.to_owned(),
            type_name: known.type_name.clone(),
        }
    }

    fn unknown_command(&self, command: &str) -> SetupError {
        SetupError::UnknownCommand {
            service: self.service.to_owned(),
            role: self.role.to_owned(),
            command: command.to_owned(),
        }
    }

    fn unknown_action(&self, action: &str) -> SetupError {
        SetupError::UnknownAction {
            service: self.service.to_owned(),
            role: self.role.to_owned(),
            action: action.to_owned(),
        }
    }

    fn command_of_other_service(&self, command: &str, other: &str) -> SetupError {
        SetupError::CommandOfOtherService {
            service: self.service.to_owned(),
            role: self.role.to_owned(),
            command: command.to_owned(),
            command_service: other.to_owned(),
        }
    }

    fn check_condition(&self, rule: &Rule, known: &KnownFields) -> Result<(), SetupError> {
        let Some(condition) = &rule.condition else {
            return Ok(());
        };
        match condition.fields().into_iter().find(|f| !known.has(f)) {
            Some(field) => Err(self.unknown_field(field, known)),
            None => Ok(()),
        }
    }

    fn check_fields(&self, list: Option<&[String]>, known: &KnownFields) -> Result<(), SetupError> {
        match list.unwrap_or_default().iter().find(|f| !known.has(f)) {
            Some(field) => Err(self.unknown_field(field, known)),
            None => Ok(()),
        }
    }
}

fn compile_role(
    names: &Names<'_>,
    rights: &RoleRights,
    fields: &ServiceFields,
) -> Result<RoleTable, SetupError> {
    if rights.empty_declaration {
        return Err(SetupError::EmptyRole {
            service: names.service.to_owned(),
            role: names.role.to_owned(),
        });
    }
    let mut table = RoleTable::default();
    if rights.has_crud_entry() {
        table.crud = Some(Default::default());
    }
    for rule in &rights.rules {
        match rule.action.target {
            Target::Crud(set) => {
                names.check_condition(rule, &fields.entity)?;
                names.check_fields(rule.fields.as_deref(), &fields.entity)?;
                let by_verb = table.crud.get_or_insert_with(Default::default);
                for verb in set.verbs() {
                    by_verb[verb_index(verb)].push(rule, &fields.entity.date_times);
                }
            }
            Target::Command { service } => {
                let command = rule.action();
                if let Some(other) = service.filter(|s| *s != names.service) {
                    return Err(names.command_of_other_service(command, other));
                }
                let dto = fields.commands.get(command).ok_or_else(|| match service {
                    Some(_) => names.unknown_command(command),
                    None => names.unknown_action(command),
                })?;
                names.check_condition(rule, dto)?;
                names.check_fields(rule.fields.as_deref(), dto)?;
                table
                    .commands
                    .entry(command.into())
                    .or_default()
                    .push(rule, &dto.date_times);
            }
            // Option rules live in their own list.
            Target::Option => {}
        }
    }
    for rule in &rights.option_rules {
        names.check_condition(rule, &fields.entity)?;
        table
            .options
            .entry(rule.action().into())
            .or_default()
            .push(rule, &fields.entity.date_times);
    }
    let lists = table.crud.iter_mut().flatten();
    for list in lists
        .chain(table.commands.values_mut())
        .chain(table.options.values_mut())
    {
        list.finish();
    }
    if let Some(by_verb) = &table.crud {
        table.pinned = std::array::from_fn(|verb| by_verb[verb].pinned_fields());
    }
    table.max_batch_size = rights.max_batch_size;
    for (command, size) in &rights.command_max_batch_size {
        if !fields.commands.contains_key(command) {
            return Err(names.unknown_command(command));
        }
        table
            .command_max_batch_size
            .insert(command.clone().into_boxed_str(), *size);
    }
    names.check_fields(rights.read_fields.as_deref(), &fields.entity)?;
    table.read_fields = rights.read_fields.clone();
    Ok(table)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::security::condition::{
        Condition, Operand, Truth, and, eq, exists, in_, ne, or, user_id,
    };
    use crate::security::crud::Crud;
    use crate::security::role::Role;
    use crate::shared::user::{LoginDto, ResetPasswordDto, TimeoutUserDto};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    /// guest < user < moderator < admin, as in the captures.
    fn graph() -> Arc<RoleGraph> {
        static GRAPH: OnceLock<Arc<RoleGraph>> = OnceLock::new();
        GRAPH
            .get_or_init(|| {
                let roles = vec![
                    Role::new("admin").admin().can_mock().inherits("moderator"),
                    Role::new("moderator").inherits("user"),
                    Role::new("user").inherits("guest"),
                    Role::new("guest"),
                ];
                Arc::new(block_on(RoleGraph::new(roles, "guest")).expect("valid roles"))
            })
            .clone()
    }

    fn post_fields() -> ServiceFields {
        ServiceFields::new(KnownFields::new(
            "Post",
            &["id", "title", "content", "owner"],
        ))
    }

    fn user_fields() -> ServiceFields {
        ServiceFields::new(KnownFields::new(
            "User",
            &["id", "email", "password", "role"],
        ))
        .command(
            "create_account",
            KnownFields::new("CreateAccountDto", &["email", "password", "role"]),
        )
        .command(
            "login",
            KnownFields::new("LoginDto", &["email", "password"]),
        )
        .command(
            "logout_everywhere",
            KnownFields::new("UserIdDto", &["userId"]),
        )
        .command(
            "change_password",
            KnownFields::new("ChangePasswordDto", &["oldPassword", "newPassword"]),
        )
        .command(
            "timeout_user",
            KnownFields::new(
                "TimeoutUserDto",
                &["userId", "timeoutDurationMinutes", "allowedRoles"],
            ),
        )
    }

    fn post_security() -> ServiceSecurity {
        ServiceSecurity::new()
            .role("user", |r| {
                r.can("crud").when(eq("owner", user_id()));
            })
            .declare_role("guest")
    }

    fn user_security() -> ServiceSecurity {
        ServiceSecurity::new()
            .role("guest", |r| {
                r.can("create_account").when(eq("role", "user"));
                r.can("login");
            })
            .role("user", |r| {
                r.can("change_password");
                r.can("logout_everywhere").when(eq("userId", user_id()));
            })
            .role("moderator", |r| {
                r.can("timeout_user").when(in_("allowedRoles", ["user"]));
            })
            .always_exclude_fields(&["password"])
    }

    fn blog() -> Authorizer {
        Authorizer::new(
            graph(),
            vec![
                ("post".into(), post_security(), post_fields()),
                ("user".into(), user_security(), user_fields()),
            ],
            100,
        )
        .expect("valid abilities")
    }

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// A request; the method is the CRUD verb, or POST for commands.
    fn req<'a>(
        service: &'a str,
        action: Action<'a>,
        caller: Caller<'a>,
        subjects: &'a [&'a Map<String, Value>],
        fields: &'a [&'a str],
    ) -> AuthzRequest<'a> {
        let method = match action {
            Action::Crud(verb) => verb,
            Action::Command(_) => Verb::Post,
        };
        AuthzRequest {
            service,
            action,
            method,
            caller,
            subjects,
            fields,
            options: &[],
        }
    }

    /// Decides a request and renders the outcome as `ok <role>` or the refusal text.
    fn decide(authorizer: &Authorizer, request: AuthzRequest<'_>) -> String {
        match authorizer.authorize(&request) {
            Ok(ok) => format!("ok {}", ok.role),
            Err(denied) => denied.to_string(),
        }
    }

    fn keys(map: &Map<String, Value>) -> Vec<&str> {
        map.keys().map(String::as_str).collect()
    }

    fn merged(query: &Map<String, Value>, data: &Map<String, Value>) -> Map<String, Value> {
        let mut out = query.clone();
        out.extend(data.clone());
        out
    }

    const A: Caller<'static> = Caller {
        user_id: Some("A"),
        role: "user",
    };
    const B: Caller<'static> = Caller {
        user_id: Some("B"),
        role: "user",
    };
    const GUEST: Caller<'static> = Caller {
        user_id: None,
        role: "guest",
    };

    // ----- the captured eicrud refusals ---------------------------------------

    #[test]
    fn capture_get_other_owner() {
        let query = obj(json!({ "id": "x", "owner": "A" }));
        let out = decide(
            &blog(),
            req("post", Action::Crud(Verb::Get), B, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role user is not allowed to GET post - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn capture_patch_moving_owner() {
        let query = obj(json!({ "id": "x", "owner": "A" }));
        let data = obj(json!({ "owner": "B" }));
        let all = merged(&query, &data);
        assert_eq!(all, obj(json!({ "id": "x", "owner": "B" })));
        let out = decide(
            &blog(),
            req(
                "post",
                Action::Crud(Verb::Patch),
                A,
                &[&query, &all],
                &keys(&data),
            ),
        );
        assert_eq!(
            out,
            "Role user is not allowed to PATCH post - user failed on owner - guest failed on owner "
        );
    }

    #[test]
    fn capture_patch_other_owner() {
        let query = obj(json!({ "id": "x", "owner": "A" }));
        let data = obj(json!({ "title": "pwned" }));
        let all = merged(&query, &data);
        let out = decide(
            &blog(),
            req(
                "post",
                Action::Crud(Verb::Patch),
                B,
                &[&query, &all],
                &keys(&data),
            ),
        );
        assert_eq!(
            out,
            "Role user is not allowed to PATCH post - user failed on title - guest failed on title "
        );
    }

    #[test]
    fn capture_guest_create() {
        let data = obj(json!({ "owner": "A", "title": "anon" }));
        let out = decide(
            &blog(),
            req(
                "post",
                Action::Crud(Verb::Post),
                GUEST,
                &[&data],
                &keys(&data),
            ),
        );
        assert_eq!(
            out,
            "Role guest is not allowed to POST post - guest failed on owner "
        );
    }

    #[test]
    fn capture_user_create_for_other() {
        let data = obj(json!({ "owner": "A", "title": "t" }));
        let out = decide(
            &blog(),
            req("post", Action::Crud(Verb::Post), B, &[&data], &keys(&data)),
        );
        assert_eq!(
            out,
            "Role user is not allowed to POST post - user failed on owner - guest failed on owner "
        );
    }

    #[test]
    fn capture_guest_read_and_delete() {
        let blog = blog();
        let query = obj(json!({ "owner": "A" }));
        let out = decide(
            &blog,
            req("post", Action::Crud(Verb::Get), GUEST, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role guest is not allowed to GET post - guest failed on all "
        );
        let out = decide(
            &blog,
            req("post", Action::Crud(Verb::Delete), B, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role user is not allowed to DELETE post - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn capture_create_account_as_admin() {
        let dto = obj(json!({ "email": "m@x.io", "password": "p", "role": "admin" }));
        let action = Action::Command("create_account");
        let out = decide(&blog(), req("user", action, GUEST, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role guest is not allowed to POST user create_account - guest failed on email "
        );
        let dto = obj(json!({ "email": "m@x.io", "password": "p", "role": "user" }));
        assert_eq!(
            decide(&blog(), req("user", action, GUEST, &[&dto], &keys(&dto))),
            "ok guest"
        );
    }

    #[test]
    fn capture_timeout_user() {
        let blog = blog();
        let action = Action::Command("timeout_user");
        let moderator = Caller {
            user_id: Some("M"),
            role: "moderator",
        };
        let dto = obj(
            json!({ "userId": "U", "timeoutDurationMinutes": 1, "allowedRoles": ["moderator"] }),
        );
        let out = decide(&blog, req("user", action, moderator, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role moderator is not allowed to POST user timeout_user - moderator failed on userId - user failed on all - guest failed on all "
        );
        let out = decide(&blog, req("user", action, A, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role user is not allowed to POST user timeout_user - user failed on all - guest failed on all "
        );
        let dto =
            obj(json!({ "userId": "U", "timeoutDurationMinutes": 1, "allowedRoles": ["user"] }));
        assert_eq!(
            decide(&blog, req("user", action, moderator, &[&dto], &keys(&dto))),
            "ok moderator"
        );
        let admin = Caller {
            user_id: Some("Z"),
            role: "admin",
        };
        assert_eq!(
            decide(&blog, req("user", action, admin, &[&dto], &keys(&dto))),
            "ok moderator"
        );
    }

    #[test]
    fn capture_user_commands() {
        let blog = blog();
        let dto = obj(json!({ "userId": "A" }));
        let action = Action::Command("logout_everywhere");
        let out = decide(&blog, req("user", action, B, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role user is not allowed to POST user logout_everywhere - user failed on userId - guest failed on all "
        );
        let out = decide(&blog, req("user", action, GUEST, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role guest is not allowed to POST user logout_everywhere - guest failed on all "
        );
        assert_eq!(
            decide(&blog, req("user", action, A, &[&dto], &keys(&dto))),
            "ok user"
        );
        let dto = obj(json!({ "oldPassword": "a", "newPassword": "b" }));
        let action = Action::Command("change_password");
        let out = decide(&blog, req("user", action, GUEST, &[&dto], &keys(&dto)));
        assert_eq!(
            out,
            "Role guest is not allowed to POST user change_password - guest failed on all "
        );
    }

    // ----- decisions ------------------------------------------------------------

    #[test]
    fn owner_passes_and_ancestors_are_tried() {
        let blog = blog();
        let query = obj(json!({ "owner": "A" }));
        assert_eq!(
            decide(
                &blog,
                req("post", Action::Crud(Verb::Get), A, &[&query], &[])
            ),
            "ok user"
        );
        let admin = Caller {
            user_id: Some("A"),
            role: "admin",
        };
        assert_eq!(
            decide(
                &blog,
                req("post", Action::Crud(Verb::Get), admin, &[&query], &[])
            ),
            "ok user"
        );
        let data = obj(json!({ "title": "new" }));
        let all = merged(&query, &data);
        let out = decide(
            &blog,
            req(
                "post",
                Action::Crud(Verb::Patch),
                A,
                &[&query, &all],
                &keys(&data),
            ),
        );
        assert_eq!(out, "ok user");
    }

    #[test]
    fn query_without_limiting_key_is_refused() {
        let query = obj(json!({ "title": "x" }));
        let out = decide(
            &blog(),
            req("post", Action::Crud(Verb::Get), A, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role user is not allowed to GET post - user failed on all - guest failed on all "
        );
        // No subject at all is one empty subject, not "nothing to check".
        let out = decide(&blog(), req("post", Action::Crud(Verb::Get), A, &[], &[]));
        assert_eq!(
            out,
            "Role user is not allowed to GET post - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn guest_does_not_pass_user_id_rules_on_missing_field() {
        // CASL's `{owner: undefined}` matches a query without `owner`; ours is Unknown.
        let security = ServiceSecurity::new().role("guest", |r| {
            r.can("read").when(eq("owner", user_id()));
            r.can("read")
                .when(crate::security::condition::not(eq("owner", user_id())));
        });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        for query in [json!({}), json!({ "owner": null }), json!({ "owner": "A" })] {
            let query = obj(query);
            let out = decide(
                &authorizer,
                req("post", Action::Crud(Verb::Get), GUEST, &[&query], &[]),
            );
            assert_eq!(
                out,
                "Role guest is not allowed to GET post - guest failed on all "
            );
        }
    }

    #[test]
    fn field_lists_restrict_writes_and_never_grant_all() {
        let security = ServiceSecurity::new().role("user", |r| {
            r.can("update").fields(&["title"]);
        });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let query = obj(json!({ "id": "x" }));
        let patch = |fields: &[&str]| {
            decide(
                &authorizer,
                req("post", Action::Crud(Verb::Patch), A, &[&query], fields),
            )
        };
        assert_eq!(patch(&["title"]), "ok user");
        assert_eq!(
            patch(&["title", "owner"]),
            "Role user is not allowed to PATCH post - user failed on owner - guest failed on all "
        );
        assert_eq!(
            patch(&[]),
            "Role user is not allowed to PATCH post - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn explicit_fields_need_a_rule_that_names_them() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.can("crud");
            })
            .role("moderator", |r| {
                r.can("update").fields(&["owner"]);
            })
            .role("admin", |r| {
                r.can("update").fields(&["owner"]);
                r.cannot("update");
            });
        let fields = post_fields().explicit(&["owner"]);
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, fields)], 100).expect("valid");
        let query = obj(json!({ "id": "x" }));
        let as_role = |role: &'static str, verb: Verb, fields: &'static [&'static str]| {
            let caller = Caller {
                role,
                user_id: Some("A"),
            };
            decide(
                &authorizer,
                AuthzRequest {
                    service: "post",
                    action: Action::Crud(verb),
                    method: verb,
                    caller,
                    subjects: &[&query],
                    fields,
                    options: &[],
                },
            )
        };
        // A rule without a field list covers every other field, not this one.
        assert_eq!(as_role("user", Verb::Patch, &["title"]), "ok user");
        assert!(
            as_role("user", Verb::Patch, &["title", "owner"]).contains("user failed on owner"),
            "{}",
            as_role("user", Verb::Patch, &["title", "owner"])
        );
        assert!(as_role("user", Verb::Post, &["owner"]).contains("user failed on owner"));
        // Reads name no field: unaffected.
        assert_eq!(as_role("user", Verb::Get, &[]), "ok user");
        // A rule naming it grants it.
        assert_eq!(
            as_role("moderator", Verb::Patch, &["owner"]),
            "ok moderator"
        );
        // A later blanket `cannot` still covers it.
        // A later blanket `cannot` covers it: admin's own rules refuse, and
        // the walk goes on to moderator.
        assert_eq!(as_role("admin", Verb::Patch, &["owner"]), "ok moderator");
    }

    #[test]
    fn later_rule_wins_within_a_role() {
        let security = ServiceSecurity::new().role("user", |r| {
            r.can("crud").when(eq("owner", user_id()));
            r.cannot("update").fields(&["owner"]);
            r.can("update").fields(&["owner"]).when(eq("owner", "A"));
        });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let query = obj(json!({ "owner": "B" }));
        let to_a = obj(json!({ "owner": "A" }));
        let to_c = obj(json!({ "owner": "C" }));
        let patch = |data: &Map<String, Value>| {
            let all = merged(&query, data);
            decide(
                &authorizer,
                req(
                    "post",
                    Action::Crud(Verb::Patch),
                    B,
                    &[&query, &all],
                    &keys(data),
                ),
            )
        };
        // The cannot on `owner` overrides the earlier `can("crud")`.
        assert_eq!(
            patch(&to_c),
            "Role user is not allowed to PATCH post - user failed on owner - guest failed on all "
        );
        // The last `can` (owner == "A") does not hold on the query (owner B): the cannot decides.
        assert_eq!(
            patch(&to_a),
            "Role user is not allowed to PATCH post - user failed on owner - guest failed on all "
        );
        let title = obj(json!({ "title": "t" }));
        assert_eq!(patch(&title), "ok user");
        // For A's own post, the last `can` holds on both subjects and beats the cannot.
        let query = obj(json!({ "owner": "A" }));
        let all = merged(&query, &to_a);
        let out = decide(
            &authorizer,
            req(
                "post",
                Action::Crud(Verb::Patch),
                A,
                &[&query, &all],
                &["owner"],
            ),
        );
        assert_eq!(out, "ok user");
    }

    #[test]
    fn child_cannot_does_not_protect_against_permissive_parent() {
        let security = ServiceSecurity::new()
            .role("moderator", |r| {
                r.cannot("delete");
            })
            .role("user", |r| {
                r.can("delete");
            });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let query = obj(json!({ "id": "x" }));
        let moderator = Caller {
            user_id: Some("M"),
            role: "moderator",
        };
        let out = decide(
            &authorizer,
            req(
                "post",
                Action::Crud(Verb::Delete),
                moderator,
                &[&query],
                &[],
            ),
        );
        assert_eq!(out, "ok user");
    }

    #[test]
    fn options_need_abilities() {
        let security = ServiceSecurity::new().role("user", |r| {
            r.can("read");
            r.can_option("returnUpdatedEntity");
            r.can_option("populate")
                .fields(&["pictures"])
                .when(eq("owner", user_id()));
            r.cannot_option("populate").fields(&["secrets"]);
        });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let own = obj(json!({ "owner": "A" }));
        let read = |query: &Map<String, Value>, options: &[(&str, Vec<String>)]| {
            decide(
                &authorizer,
                AuthzRequest {
                    options,
                    ..req("post", Action::Crud(Verb::Get), A, &[query], &[])
                },
            )
        };
        let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            read(&own, &[("returnUpdatedEntity", values(&["true"]))]),
            "ok user"
        );
        assert_eq!(
            read(&own, &[("populate", values(&["pictures"]))]),
            "ok user"
        );
        assert_eq!(
            read(&own, &[("populate", values(&["pictures", "secrets"]))]),
            "Role user is not allowed to GET post - user failed on populate->secrets - guest failed on all "
        );
        let other = obj(json!({ "owner": "B" }));
        assert_eq!(
            read(&other, &[("populate", values(&["pictures"]))]),
            "Role user is not allowed to GET post - user failed on populate->pictures - guest failed on all "
        );
        assert_eq!(
            read(&own, &[("populate", Vec::new())]),
            "Role user is not allowed to GET post - user failed on populate->all - guest failed on all "
        );
        assert_eq!(
            read(&own, &[("cached", values(&["true"]))]),
            "Role user is not allowed to GET post - user failed on cached->true - guest failed on all "
        );
    }

    #[test]
    fn pinned_fields_are_those_every_can_rule_pins_with_an_eq() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.can("read")
                    .when(and(vec![eq("owner", user_id()), eq("title", "t")]));
                r.can("read")
                    .when(or(vec![eq("owner", user_id()), eq("content", "c")]));
                r.can("update").when(eq("owner", user_id()));
                r.cannot("update").when(eq("title", "x"));
            })
            .role("moderator", |r| {
                r.can("read").when(eq("owner", user_id()));
                r.can("read");
            });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let pinned = |role: &str, verb: Verb, query: Value| {
            let query = obj(query);
            let caller = Caller {
                user_id: Some("A"),
                role,
            };
            authorizer
                .authorize(&req("post", Action::Crud(verb), caller, &[&query], &[]))
                .map(|ok| ok.pinned_fields.to_vec())
                .expect("allowed")
        };
        // The second read rule pins nothing (an `or`): nothing is pinned.
        assert!(pinned("user", Verb::Get, json!({ "owner": "A", "title": "t" })).is_empty());
        assert_eq!(
            pinned("user", Verb::Patch, json!({ "owner": "A", "title": "y" })),
            ["owner"],
            "a cannot pins nothing away"
        );
        // A `can` without a condition pins nothing.
        assert!(pinned("moderator", Verb::Get, json!({ "owner": "A" })).is_empty());
    }

    #[test]
    fn read_fields_come_from_the_passing_role() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.can("read");
                r.read_fields(&["id", "title"]);
            })
            .role("moderator", |r| {
                r.can("read").when(exists("owner", true));
            });
        let authorizer =
            Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                .expect("valid");
        let moderator = Caller {
            user_id: Some("M"),
            role: "moderator",
        };
        let check = |query: Value| {
            let query = obj(query);
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(Verb::Get),
                method: Verb::Get,
                caller: moderator,
                subjects: &[&query],
                fields: &[],
                options: &[],
            };
            authorizer
                .authorize(&request)
                .map(|ok| (ok.role.to_owned(), ok.read_fields.map(<[String]>::to_vec)))
        };
        assert_eq!(
            check(json!({ "owner": "A" })),
            Ok(("moderator".to_owned(), None))
        );
        assert_eq!(
            check(json!({})),
            Ok((
                "user".to_owned(),
                Some(vec!["id".to_owned(), "title".to_owned()])
            ))
        );
    }

    #[test]
    fn unknown_role_and_service() {
        let blog = blog();
        let query = obj(json!({ "owner": "A" }));
        let ghost = Caller {
            user_id: Some("A"),
            role: "ghost",
        };
        let out = decide(
            &blog,
            req("post", Action::Crud(Verb::Get), ghost, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role ghost is not allowed to GET post - ghost failed on unknown role "
        );
        let out = decide(
            &blog,
            req("nope", Action::Crud(Verb::Get), A, &[&query], &[]),
        );
        assert_eq!(
            out,
            "Role user is not allowed to GET nope - user failed on all - guest failed on all "
        );
        let out = decide(
            &blog,
            AuthzRequest {
                method: Verb::Patch,
                ..req("user", Action::Command("nope"), A, &[&query], &[])
            },
        );
        assert_eq!(
            out,
            "Role user is not allowed to PATCH user nope - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn declare_role_fails_crud_on_the_first_field_as_the_empty_closure_did() {
        let data = obj(json!({ "title": "anon", "owner": "A" }));
        let create = |security: ServiceSecurity| {
            let authorizer =
                Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                    .expect("valid");
            decide(
                &authorizer,
                req(
                    "post",
                    Action::Crud(Verb::Post),
                    GUEST,
                    &[&data],
                    &keys(&data),
                ),
            )
        };
        // Declared: a CRUD entry without rules, refused field by field.
        assert_eq!(
            create(ServiceSecurity::new().declare_role("guest")),
            "Role guest is not allowed to POST post - guest failed on title "
        );
        // Rules declared beside it keep the entry.
        let declared_with_rules = ServiceSecurity::new()
            .declare_role("guest")
            .role("guest", |r| {
                r.can("read").fields(&["title"]);
            });
        assert_eq!(
            create(declared_with_rules),
            "Role guest is not allowed to POST post - guest failed on title "
        );
        // Not declared: no entry, refused on `all`.
        assert_eq!(
            create(ServiceSecurity::new()),
            "Role guest is not allowed to POST post - guest failed on all "
        );
    }

    #[test]
    fn an_empty_closure_fails_at_setup() {
        let err = setup(ServiceSecurity::new().role("guest", |_| {}));
        let expected = SetupError::EmptyRole {
            service: "user".into(),
            role: "guest".into(),
        };
        assert_eq!(err.err(), Some(expected.clone()));
        assert_eq!(
            expected.to_string(),
            "service user: role guest is declared with an empty closure; use `declare_role(\"guest\")` for a CRUD entry without rules, or remove it"
        );
        // Also next to a declaration that grants something.
        let err = setup(
            ServiceSecurity::new()
                .role("guest", |r| {
                    r.can("login");
                })
                .role("guest", |_| {}),
        );
        assert!(matches!(err, Err(SetupError::EmptyRole { .. })));
    }

    #[test]
    fn a_typo_in_an_action_fails_at_setup() {
        for typo in ["cdur", "reed", "Read", "crud "] {
            let err = setup(ServiceSecurity::new().role("user", |r| {
                r.can(typo).when(eq("id", user_id()));
            }));
            assert_eq!(
                err.err(),
                Some(SetupError::UnknownAction {
                    service: "user".into(),
                    role: "user".into(),
                    action: typo.into(),
                }),
                "{typo:?}"
            );
        }
        let err = setup(ServiceSecurity::new().role("guest", |r| {
            r.cannot("reed");
        }));
        assert_eq!(
            err.err().map(|e| e.to_string()).as_deref(),
            Some(
                "service user: a rule of role guest names action `reed`, which is neither a CRUD action (create, read, update, delete, crud, cru, ru, ...) nor a command the service registers"
            )
        );
    }

    #[test]
    fn typed_verb_sets_decide_as_their_strings() {
        let query = obj(json!({ "owner": "A" }));
        let data = obj(json!({ "title": "t" }));
        let decisions = |security: ServiceSecurity| {
            let authorizer =
                Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
                    .expect("valid");
            VERBS.map(|verb| {
                let fields = if matches!(verb, Verb::Post | Verb::Patch) {
                    keys(&data)
                } else {
                    Vec::new()
                };
                decide(
                    &authorizer,
                    req("post", Action::Crud(verb), A, &[&query], &fields),
                )
            })
        };
        let pairs: [(&str, Crud); 4] = [
            ("crud", Crud::ALL),
            ("cru", Crud::CREATE | Crud::READ | Crud::UPDATE),
            ("rd", Crud::READ | Crud::DELETE),
            ("update", Crud::UPDATE),
        ];
        for (text, set) in pairs {
            let by_text = decisions(ServiceSecurity::new().role("user", |r| {
                r.can(text).when(eq("owner", user_id()));
            }));
            let by_set = decisions(ServiceSecurity::new().role("user", |r| {
                r.can(set).when(eq("owner", user_id()));
            }));
            assert_eq!(by_text, by_set, "{text}");
        }
    }

    #[test]
    fn can_cmd_grants_the_command() {
        let security = ServiceSecurity::new()
            .role("guest", |r| {
                r.can_cmd::<LoginDto>();
            })
            .role("moderator", |r| {
                r.can_cmd::<TimeoutUserDto>()
                    .when(in_("allowedRoles", ["user"]));
                r.cannot_cmd::<LoginDto>();
            });
        let authorizer = setup(security).expect("valid");
        let dto = obj(json!({ "email": "a@b.c", "password": "x" }));
        let (subjects, fields) = ([&dto], keys(&dto));
        let login = |caller| AuthzRequest {
            method: Verb::Post,
            ..req("user", Action::Command("login"), caller, &subjects, &fields)
        };
        assert_eq!(decide(&authorizer, login(GUEST)), "ok guest");
        let moderator = Caller {
            user_id: Some("M"),
            role: "moderator",
        };
        // The moderator's `cannot` fails it; its ancestor `guest` passes.
        assert_eq!(decide(&authorizer, login(moderator)), "ok guest");
        let timeout = obj(json!({ "userId": "u", "allowedRoles": ["user"] }));
        let (subjects, fields) = ([&timeout], keys(&timeout));
        let request = AuthzRequest {
            method: Verb::Post,
            ..req(
                "user",
                Action::Command("timeout_user"),
                moderator,
                &subjects,
                &fields,
            )
        };
        assert_eq!(decide(&authorizer, request), "ok moderator");
        assert_eq!(
            decide(
                &authorizer,
                AuthzRequest {
                    caller: A,
                    ..request
                }
            ),
            "Role user is not allowed to POST user timeout_user - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn can_cmd_of_an_unregistered_or_foreign_command_fails_at_setup() {
        let err = setup(ServiceSecurity::new().role("guest", |r| {
            r.can_cmd::<ResetPasswordDto>();
        }));
        assert_eq!(
            err.err(),
            Some(SetupError::UnknownCommand {
                service: "user".into(),
                role: "guest".into(),
                command: "reset_password".into(),
            })
        );
        let foreign = ServiceSecurity::new().role("guest", |r| {
            r.can_cmd::<LoginDto>();
        });
        let err = Authorizer::new(graph(), vec![("post".into(), foreign, post_fields())], 100);
        let expected = SetupError::CommandOfOtherService {
            service: "post".into(),
            role: "guest".into(),
            command: "login".into(),
            command_service: "user".into(),
        };
        assert_eq!(err.err(), Some(expected.clone()));
        assert_eq!(
            expected.to_string(),
            "service post: a rule of role guest names command `login` of service `user`"
        );
    }

    #[test]
    fn command_only_declaration_has_no_crud_entry() {
        let blog = blog();
        // In the user service, guest and user declared command rules only.
        let data = obj(json!({ "email": "x" }));
        let out = decide(
            &blog,
            req("user", Action::Crud(Verb::Post), A, &[&data], &keys(&data)),
        );
        assert_eq!(
            out,
            "Role user is not allowed to POST user - user failed on all - guest failed on all "
        );
    }

    #[test]
    fn batch_sizes() {
        let security = ServiceSecurity::new()
            .role("user", |r| {
                r.max_batch_size(5);
                r.command_max_batch_size("login", 3);
            })
            .role("moderator", |r| {
                r.max_batch_size(2);
            })
            .role("guest", |r| {
                r.max_batch_size(7);
            });
        let authorizer =
            Authorizer::new(graph(), vec![("user".into(), security, user_fields())], 100)
                .expect("valid");
        assert_eq!(
            authorizer.max_batch_size("user", None, "moderator"),
            Some(7)
        );
        assert_eq!(authorizer.max_batch_size("user", None, "guest"), Some(7));
        assert_eq!(authorizer.max_batch_size("user", None, "admin"), Some(100));
        assert_eq!(
            authorizer.max_batch_size("user", Some("login"), "moderator"),
            Some(3)
        );
        assert_eq!(
            authorizer.max_batch_size("user", Some("login"), "guest"),
            None
        );
        assert_eq!(
            authorizer.max_batch_size("user", Some("login"), "admin"),
            Some(100)
        );
        assert_eq!(authorizer.max_batch_size("user", None, "ghost"), None);
        assert_eq!(authorizer.max_batch_size("post", None, "user"), None);
        let blog = blog();
        assert_eq!(blog.max_batch_size("post", None, "user"), None);
        assert_eq!(blog.always_excluded("user"), ["password"]);
        assert!(blog.always_excluded("post").is_empty() && blog.always_excluded("nope").is_empty());
        assert!(blog.roles().contains("moderator"));
    }

    // ----- start-up checks ------------------------------------------------------

    fn setup(security: ServiceSecurity) -> Result<Authorizer, SetupError> {
        Authorizer::new(graph(), vec![("user".into(), security, user_fields())], 100)
    }

    #[test]
    fn startup_rejects_unknown_names() {
        let unknown_field = |role: &str, field: &str, type_name: &str| SetupError::UnknownField {
            service: "user".into(),
            role: role.into(),
            field: field.into(),
            type_name: type_name.into(),
        };
        let err = setup(ServiceSecurity::new().role("user", |r| {
            r.can("read").when(eq("owner", user_id()));
        }));
        assert_eq!(err.err(), Some(unknown_field("user", "owner", "User")));
        let err = setup(ServiceSecurity::new().role("user", |r| {
            r.cannot("update").fields(&["email", "nickname"]);
        }));
        assert_eq!(err.err(), Some(unknown_field("user", "nickname", "User")));
        let err = setup(ServiceSecurity::new().role("guest", |r| {
            r.can("create_account").when(eq("userId", "x"));
        }));
        assert_eq!(
            err.err(),
            Some(unknown_field("guest", "userId", "CreateAccountDto"))
        );
        let err = setup(ServiceSecurity::new().role("guest", |r| {
            r.can("login").fields(&["role"]);
        }));
        assert_eq!(err.err(), Some(unknown_field("guest", "role", "LoginDto")));
        let err = setup(ServiceSecurity::new().role("guest", |r| {
            r.can_option("populate").when(ne("nickname", 1));
        }));
        assert_eq!(err.err(), Some(unknown_field("guest", "nickname", "User")));
        let err = setup(ServiceSecurity::new().role("user", |r| {
            r.read_fields(&["id", "secret"]);
        }));
        assert_eq!(err.err(), Some(unknown_field("user", "secret", "User")));
        let err = setup(ServiceSecurity::new().role("user", |r| {
            r.can("manage");
        }));
        assert_eq!(
            err.err(),
            Some(SetupError::UnknownAction {
                service: "user".into(),
                role: "user".into(),
                action: "manage".into(),
            })
        );
        let unknown_command = SetupError::UnknownCommand {
            service: "user".into(),
            role: "user".into(),
            command: "manage".into(),
        };
        assert_eq!(
            unknown_command.to_string(),
            "service user: a rule of role user names command `manage`, which the service does not register"
        );
        let err = setup(ServiceSecurity::new().role("user", |r| {
            r.command_max_batch_size("manage", 2);
        }));
        assert_eq!(err.err(), Some(unknown_command));
        let err = setup(ServiceSecurity::new().declare_role("root"));
        assert_eq!(err.err(), Some(SetupError::UnknownRole("root".into())));
        let err = setup(ServiceSecurity::new().always_exclude_fields(&["passwd"]));
        assert_eq!(
            err.err().map(|e| e.to_string()).as_deref(),
            Some("service user: always excluded field `passwd` is not a field of User")
        );
        let twice = Authorizer::new(
            graph(),
            vec![
                ("post".into(), ServiceSecurity::new(), post_fields()),
                ("post".into(), ServiceSecurity::new(), post_fields()),
            ],
            100,
        );
        assert_eq!(
            twice.err(),
            Some(SetupError::DuplicateService("post".into()))
        );
        // Option values are not fields; dotted paths check their first step.
        let ok = setup(ServiceSecurity::new().role("user", |r| {
            r.can_option("returnUpdatedEntity").fields(&["true"]);
            r.can("read").when(eq("email.domain", "x"));
        }));
        assert!(ok.is_ok());
    }

    #[test]
    fn authorizer_is_send_sync_and_debug() {
        fn assert_send_sync<T: Send + Sync + fmt::Debug>() {}
        assert_send_sync::<Authorizer>();
        assert!(format!("{:?}", blog()).contains("Authorizer"));
    }

    // ----- properties -------------------------------------------------------------

    const FIELDS: [&str; 4] = ["id", "title", "content", "owner"];
    const ACTIONS: [&str; 9] = [
        "crud", "read", "update", "cu", "POST", "rd", "DELETE", "ud", "cru",
    ];
    const VERBS: [Verb; 4] = [Verb::Post, Verb::Get, Verb::Patch, Verb::Delete];

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            prop::sample::select(vec!["A", "B", ""]).prop_map(Value::from),
            (0_i64..3).prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            prop::collection::vec(
                prop::sample::select(vec!["A", "B"]).prop_map(Value::from),
                0..3
            )
            .prop_map(Value::Array),
        ]
    }

    fn subject() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), value()), 0..4)
            .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn operand() -> impl Strategy<Value = Operand> {
        prop_oneof![3 => value().prop_map(Operand::Value), 1 => Just(Operand::UserId)]
    }

    fn condition() -> impl Strategy<Value = Condition> {
        let field = || prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned);
        let leaf = prop_oneof![
            (field(), operand()).prop_map(|(f, o)| Condition::Eq(f, o)),
            (field(), operand()).prop_map(|(f, o)| Condition::Ne(f, o)),
            (field(), prop::collection::vec(operand(), 0..3))
                .prop_map(|(f, l)| Condition::In(f, l)),
            (field(), any::<bool>()).prop_map(|(f, b)| Condition::Exists(f, b)),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::And),
                prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::Or),
                inner.prop_map(crate::security::condition::not),
            ]
        })
    }

    #[derive(Debug, Clone)]
    struct RuleSpec {
        can: bool,
        action: &'static str,
        fields: Option<Vec<&'static str>>,
        condition: Option<Condition>,
    }

    fn rule() -> impl Strategy<Value = RuleSpec> {
        (
            any::<bool>(),
            prop::sample::select(ACTIONS.to_vec()),
            prop::option::of(prop::sample::subsequence(FIELDS.to_vec(), 1..3)),
            prop::option::of(condition()),
        )
            .prop_map(|(can, action, fields, condition)| RuleSpec {
                can,
                action,
                fields,
                condition,
            })
    }

    fn declare(r: &mut RoleRights, spec: &RuleSpec) {
        let rule = if spec.can {
            r.can(spec.action)
        } else {
            r.cannot(spec.action)
        };
        if let Some(fields) = &spec.fields {
            rule.fields(fields);
        }
        if let Some(condition) = &spec.condition {
            rule.when(condition.clone());
        }
    }

    /// Only the guest role is declared, so the walk of `guest` is `[guest]`.
    fn guest_only(specs: &[RuleSpec]) -> Authorizer {
        let specs = specs.to_vec();
        let mut security = ServiceSecurity::new().declare_role("guest");
        if !specs.is_empty() {
            security = security.role("guest", move |r| {
                for spec in &specs {
                    declare(r, spec);
                }
            });
        }
        Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100)
            .expect("valid")
    }

    /// The decision for one role, straight from the declarations.
    fn reference(
        specs: &[RuleSpec],
        verb: Verb,
        fields: &[&str],
        subjects: &[&Map<String, Value>],
        caller: &Caller<'_>,
    ) -> bool {
        let names: Vec<Option<&str>> = if fields.is_empty() {
            vec![None]
        } else {
            fields.iter().map(|f| Some(*f)).collect()
        };
        subjects.iter().all(|subject| {
            names.iter().all(|field| {
                specs
                    .iter()
                    .rev()
                    .find(|spec| {
                        Crud::parse(spec.action).is_some_and(|set| set.has(verb))
                            && match (&spec.fields, field) {
                                (None, _) => true,
                                (Some(_), None) => false,
                                (Some(list), Some(f)) => list.contains(f),
                            }
                            && spec.condition.as_ref().is_none_or(|c| {
                                // `can` needs True; `cannot` fails closed.
                                let truth = c.evaluate(subject, caller);
                                if spec.can {
                                    truth.is_true()
                                } else {
                                    truth != Truth::False
                                }
                            })
                    })
                    .is_some_and(|spec| spec.can)
            })
        })
    }

    /// Verb index, fields sent, subjects, user id.
    type Parts = (
        usize,
        Vec<&'static str>,
        Vec<Map<String, Value>>,
        Option<&'static str>,
    );

    fn request_parts() -> impl Strategy<Value = Parts> {
        (
            0..4_usize,
            prop::sample::subsequence(FIELDS.to_vec(), 0..3),
            prop::collection::vec(subject(), 1..3),
            prop::option::of(prop::sample::select(vec!["A", "B"])),
        )
    }

    #[test]
    fn a_cannot_applies_when_its_field_is_left_out() {
        let specs = [
            RuleSpec {
                can: true,
                action: "crud",
                fields: None,
                condition: None,
            },
            RuleSpec {
                can: false,
                action: "update",
                fields: None,
                condition: Some(ne("title", "draft")),
            },
            RuleSpec {
                can: false,
                action: "update",
                fields: None,
                condition: Some(eq("owner", "locked")),
            },
        ];
        let authorizer = guest_only(&specs);
        let allowed = |subject: Value| {
            let Value::Object(subject) = subject else {
                unreachable!("an object")
            };
            authorizer
                .authorize(&AuthzRequest {
                    service: "post",
                    action: Action::Crud(Verb::Patch),
                    method: Verb::Patch,
                    caller: GUEST,
                    subjects: &[&subject],
                    fields: &[],
                    options: &[],
                })
                .is_ok()
        };
        assert!(allowed(json!({"title": "draft", "owner": "free"})));
        assert!(!allowed(json!({"title": "final", "owner": "free"})));
        // Unknown is refused: the title left out, then the owner.
        assert!(!allowed(json!({"owner": "free"})));
        assert!(!allowed(json!({"title": "draft"})));
        assert!(!allowed(json!({"title": "draft", "owner": "locked"})));
    }

    proptest! {
        #[test]
        fn decision_matches_reference(
            specs in prop::collection::vec(rule(), 0..6),
            (verb, fields, subjects, user) in request_parts(),
        ) {
            let authorizer = guest_only(&specs);
            let verb = VERBS[verb];
            let caller = Caller { user_id: user, role: "guest" };
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(verb),
                method: verb,
                caller,
                subjects: &subjects,
                fields: &fields,
                options: &[],
            };
            let expected = reference(&specs, verb, &fields, &subjects, &caller);
            prop_assert_eq!(authorizer.authorize(&request).is_ok(), expected);
        }

        #[test]
        fn long_rule_lists_match_reference(
            specs in prop::collection::vec(rule(), 6..40),
            (verb, fields, subjects, user) in request_parts(),
        ) {
            // Enough rules that several share a field's text or the user id.
            let authorizer = guest_only(&specs);
            let verb = VERBS[verb];
            let caller = Caller { user_id: user, role: "guest" };
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(verb),
                method: verb,
                caller,
                subjects: &subjects,
                fields: &fields,
                options: &[],
            };
            let expected = reference(&specs, verb, &fields, &subjects, &caller);
            prop_assert_eq!(authorizer.authorize(&request).is_ok(), expected);
        }

        #[test]
        fn no_rule_means_nothing(
            (verb, fields, subjects, user) in request_parts(),
            role in prop::sample::select(vec!["guest", "user", "moderator", "admin"]),
            declared in any::<bool>(),
        ) {
            // Every role declared with no rule (or not declared at all), options allowed.
            let mut security = ServiceSecurity::new();
            if declared {
                for name in ["guest", "user", "moderator", "admin"] {
                    security = security.role(name, |r| {
                        r.can_option("populate");
                        r.max_batch_size(3);
                    });
                }
            }
            let authorizer = Authorizer::new(graph(), vec![("post".into(), security, post_fields())], 100).expect("valid");
            let verb = VERBS[verb];
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(verb),
                method: verb,
                caller: Caller { user_id: user, role },
                subjects: &subjects,
                fields: &fields,
                options: &[],
            };
            prop_assert!(authorizer.authorize(&request).is_err());
        }

        #[test]
        fn later_true_cannot_wins(
            specs in prop::collection::vec(rule(), 0..6),
            last in prop::option::of(condition()),
            (verb, fields, subjects, user) in request_parts(),
        ) {
            let caller = Caller { user_id: user, role: "guest" };
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            // The final cannot applies to a subject where its condition is
            // True or Unknown, and refuses the request when it applies to one.
            let applies = last
                .as_ref()
                .is_none_or(|c| subjects.iter().any(|s| c.evaluate(s, &caller) != Truth::False));
            let mut all = specs;
            all.push(RuleSpec { can: false, action: "crud", fields: None, condition: last });
            let authorizer = guest_only(&all);
            let verb = VERBS[verb];
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(verb),
                method: verb,
                caller,
                subjects: &subjects,
                fields: &fields,
                options: &[],
            };
            if applies {
                prop_assert!(authorizer.authorize(&request).is_err());
            }
        }

        #[test]
        fn adding_a_cannot_never_widens_what_is_allowed(
            specs in prop::collection::vec(rule(), 0..8),
            added in rule(),
            at in any::<prop::sample::Index>(),
            (verb, fields, subjects, user) in request_parts(),
        ) {
            let caller = Caller { user_id: user, role: "guest" };
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            let verb = VERBS[verb];
            let decide = |specs: &[RuleSpec]| {
                guest_only(specs)
                    .authorize(&AuthzRequest {
                        service: "post",
                        action: Action::Crud(verb),
                        method: verb,
                        caller,
                        subjects: &subjects,
                        fields: &fields,
                        options: &[],
                    })
                    .is_ok()
            };
            let mut with = specs.clone();
            with.insert(at.index(specs.len() + 1), RuleSpec { can: false, ..added });
            prop_assert!(!decide(&with) || decide(&specs));
        }

        #[test]
        fn guest_never_passes_owner_rules(
            specs in prop::collection::vec(rule(), 0..4),
            (verb, fields, subjects, _user) in request_parts(),
        ) {
            // Only `can` rules that demand owner == user_id (plus anything else).
            let specs: Vec<RuleSpec> = specs
                .into_iter()
                .map(|mut spec| {
                    spec.can = true;
                    let owner = eq("owner", user_id());
                    spec.condition = Some(match spec.condition.take() {
                        Some(other) => crate::security::condition::and(vec![other, owner]),
                        None => owner,
                    });
                    spec
                })
                .collect();
            let authorizer = guest_only(&specs);
            let verb = VERBS[verb];
            let subjects: Vec<&Map<String, Value>> = subjects.iter().collect();
            let request = AuthzRequest {
                service: "post",
                action: Action::Crud(verb),
                method: verb,
                caller: GUEST,
                subjects: &subjects,
                fields: &fields,
                options: &[],
            };
            prop_assert!(authorizer.authorize(&request).is_err());
        }
    }
}
