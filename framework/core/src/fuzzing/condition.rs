//! Condition evaluation: random condition trees on random subjects, and
//! random rule lists through the [`Authorizer`].

use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};

use crate::context::Verb;
use crate::security::{
    Action, Authorizer, AuthzRequest, Caller, Condition, KnownFields, Operand, Role, RoleGraph,
    RoleRights, ServiceFields, ServiceSecurity, Truth, and, not, or,
};

/// The subject's fields: the entity's fields of the [`Authorizer`] check.
const FIELDS: [&str; 6] = ["id", "title", "owner", "tags", "meta", "likes"];
/// Paths conditions read: fields, nested steps, and a field no subject has.
const PATHS: [&str; 10] = [
    "id",
    "title",
    "owner",
    "tags",
    "meta",
    "likes",
    "meta.city",
    "meta.geo.lat",
    "title.x",
    "missing",
];
/// Texts that make equal values likely.
const TEXTS: [&str; 6] = ["A", "B", "", "user", "guest", "a.b"];
/// Rule actions: CRUD sets in eicrud's spellings.
const ACTIONS: [&str; 9] = [
    "crud", "read", "update", "cu", "POST", "rd", "DELETE", "ud", "cru",
];
const VERBS: [Verb; 4] = [Verb::Post, Verb::Get, Verb::Patch, Verb::Delete];

/// Builds conditions, subjects and callers from the input and checks:
///
/// - evaluation agrees with a reference written from the documented
///   semantics (Kleene logic, unknown for missing or `null` values and
///   unknown operands, exact numeric order, type mismatches `False`);
/// - `not(not(c))` is `c`, `not(c)` is `!c`, `and([c])` and `or([c])`
///   are `c`, De Morgan's laws hold and `and`/`or` commute;
/// - `exists` is never unknown;
/// - adding a `cannot` rule to a role never allows a request its rules
///   refused.
pub fn condition_eval(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check_comparisons(&mut u);
    let _ = check_conditions(&mut u);
    let _ = check_cannot(&mut u);
}

/// Every comparison of two values, the subject's and the operand's, as
/// numbers most often: the leaves where exact numeric order matters.
fn check_comparisons(u: &mut Unstructured<'_>) -> Result<()> {
    let pick = |u: &mut Unstructured<'_>| -> Result<Value> {
        if u.ratio(3, 4)? {
            number(u)
        } else {
            value(u, 1)
        }
    };
    let (left, right) = (pick(u)?, pick(u)?);
    let mut subject = Map::new();
    subject.insert("n".to_owned(), left);
    let caller = Caller {
        user_id: Some("A"),
        role: "user",
    };
    let operand = || Operand::Value(right.clone());
    for condition in [
        Condition::Eq("n".into(), operand()),
        Condition::Ne("n".into(), operand()),
        Condition::Lt("n".into(), operand()),
        Condition::Lte("n".into(), operand()),
        Condition::Gt("n".into(), operand()),
        Condition::Gte("n".into(), operand()),
        Condition::In("n".into(), vec![operand()]),
        Condition::Nin("n".into(), vec![operand()]),
    ] {
        assert_eq!(
            condition.evaluate(&subject, &caller),
            reference(&condition, &subject, &caller),
            "{condition:?} on {subject:?}"
        );
    }
    Ok(())
}

fn check_conditions(u: &mut Unstructured<'_>) -> Result<()> {
    let caller_id = user_id(u)?;
    let caller = Caller {
        user_id: caller_id.as_deref(),
        role: u.choose(&["guest", "user", "admin"])?,
    };
    let subject = subject(u)?;
    let a = condition(u, 4)?;
    let b = condition(u, 4)?;
    let eval = |c: &Condition| c.evaluate(&subject, &caller);
    let (ta, tb) = (eval(&a), eval(&b));
    assert_eq!(ta, reference(&a, &subject, &caller), "{a:?} on {subject:?}");
    assert_eq!(tb, reference(&b, &subject, &caller), "{b:?} on {subject:?}");

    assert_eq!(eval(&not(not(a.clone()))), ta, "not(not({a:?}))");
    assert_eq!(eval(&not(a.clone())), !ta, "not({a:?})");
    assert_eq!(eval(&and(vec![a.clone()])), ta, "and([{a:?}])");
    assert_eq!(eval(&or(vec![a.clone()])), ta, "or([{a:?}])");
    let both = and(vec![a.clone(), b.clone()]);
    let either = or(vec![a.clone(), b.clone()]);
    assert_eq!(eval(&both), ta & tb);
    assert_eq!(eval(&either), ta | tb);
    assert_eq!(eval(&both), eval(&and(vec![b.clone(), a.clone()])));
    assert_eq!(eval(&either), eval(&or(vec![b.clone(), a.clone()])));
    assert_eq!(
        eval(&not(both)),
        eval(&or(vec![not(a.clone()), not(b.clone())])),
        "De Morgan on {a:?}, {b:?}"
    );
    assert_eq!(
        eval(&not(either)),
        eval(&and(vec![not(a.clone()), not(b.clone())])),
        "De Morgan on {a:?}, {b:?}"
    );
    if let Condition::Exists(..) = a {
        assert_ne!(ta, Truth::Unknown, "{a:?}");
    }
    Ok(())
}

/// Rules for the guest role (the only role), a request, and the same rules
/// with one more `cannot`, inserted anywhere.
fn check_cannot(u: &mut Unstructured<'_>) -> Result<()> {
    let count = u.int_in_range(0..=6)?;
    let mut rules = Vec::with_capacity(count);
    for _ in 0..count {
        rules.push(rule(u)?);
    }
    let mut added = rule(u)?;
    added.can = false;
    let at = u.int_in_range(0..=rules.len())?;
    let verb = *u.choose(&VERBS)?;
    let mut fields = Vec::new();
    for field in FIELDS {
        if u.ratio(1, 4)? {
            fields.push(field);
        }
    }
    let subjects = [subject(u)?, subject(u)?];
    let subjects: Vec<&Map<String, Value>> = subjects.iter().take(u.int_in_range(1..=2)?).collect();
    let caller_id = user_id(u)?;
    let request = AuthzRequest {
        service: "post",
        action: Action::Crud(verb),
        method: verb,
        caller: Caller {
            user_id: caller_id.as_deref(),
            role: "guest",
        },
        subjects: &subjects,
        fields: &fields,
        options: &[],
    };
    let Some(before) = authorizer(&rules) else {
        return Ok(());
    };
    let mut with = rules.clone();
    with.insert(at, added);
    let Some(after) = authorizer(&with) else {
        return Ok(());
    };
    if after.authorize(&request).is_ok() {
        assert!(
            before.authorize(&request).is_ok(),
            "a cannot widened {rules:?} to {with:?} for {request:?}"
        );
    }
    if rules.iter().all(|r| !r.can) {
        assert!(before.authorize(&request).is_err(), "{rules:?} allow");
    }
    Ok(())
}

/// One rule of the guest role.
#[derive(Debug, Clone)]
struct RuleSpec {
    can: bool,
    action: &'static str,
    fields: Option<Vec<&'static str>>,
    condition: Option<Condition>,
}

fn rule(u: &mut Unstructured<'_>) -> Result<RuleSpec> {
    let can = u.arbitrary()?;
    let action = *u.choose(&ACTIONS)?;
    let fields = if u.arbitrary()? {
        let mut list = vec![*u.choose(&FIELDS)?];
        if u.arbitrary()? {
            list.push(*u.choose(&FIELDS)?);
        }
        Some(list)
    } else {
        None
    };
    let condition = if u.arbitrary()? {
        Some(condition(u, 3)?)
    } else {
        None
    };
    Ok(RuleSpec {
        can,
        action,
        fields,
        condition,
    })
}

/// The guest-only role graph, built once.
fn roles() -> Option<Arc<RoleGraph>> {
    static ROLES: OnceLock<Option<Arc<RoleGraph>>> = OnceLock::new();
    ROLES
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
            let graph = runtime.block_on(RoleGraph::new(vec![Role::new("guest")], "guest"));
            Some(Arc::new(graph.expect("one role is a valid graph")))
        })
        .clone()
}

/// The post service with `rules` for the guest; `None` when the rules name
/// a field the entity does not have (refused at start, as it should be).
fn authorizer(rules: &[RuleSpec]) -> Option<Authorizer> {
    let mut security = ServiceSecurity::new().declare_role("guest");
    if !rules.is_empty() {
        let rules = rules.to_vec();
        security = security.role("guest", move |r: &mut RoleRights| {
            for spec in &rules {
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
        });
    }
    let fields = ServiceFields::new(KnownFields::new("Post", &FIELDS));
    Authorizer::new(roles()?, vec![("post".into(), security, fields)], 100).ok()
}

fn user_id(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(u.arbitrary::<String>()?),
        _ => Some((*u.choose(&TEXTS)?).to_owned()),
    })
}

fn subject(u: &mut Unstructured<'_>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0..=5)? {
        let key = *u.choose(&FIELDS)?;
        map.insert(key.to_owned(), value(u, 3)?);
    }
    Ok(map)
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 4)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(&TEXTS)?).to_owned())
    }
}

fn number(u: &mut Unstructured<'_>) -> Result<Value> {
    const SPECIAL: [f64; 8] = [
        0.0,
        -0.0,
        0.5,
        -1.5,
        1.0,
        9_007_199_254_740_993.0,
        1.8446744073709552e19,
        -9.223372036854776e18,
    ];
    Ok(match u.int_in_range(0..=5)? {
        0 => Value::from(u.int_in_range(-2_i64..=2)?),
        1 => Value::from(u.arbitrary::<i64>()?),
        2 => Value::from(u.arbitrary::<u64>()?),
        3 => Value::from(*u.choose(&[i64::MIN, i64::MAX, -1])?),
        4 => Number::from_f64(*u.choose(&SPECIAL)?).map_or(Value::Null, Value::Number),
        _ => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
    })
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let top = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(text(u)?),
        4 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                let key = *u.choose(&["city", "geo", "lat", "x"])?;
                map.insert(key.to_owned(), value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

fn operand(u: &mut Unstructured<'_>) -> Result<Operand> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Operand::UserId,
        1 => Operand::UserRole,
        _ => Operand::Value(value(u, 1)?),
    })
}

fn operands(u: &mut Unstructured<'_>) -> Result<Vec<Operand>> {
    let mut list = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        list.push(operand(u)?);
    }
    Ok(list)
}

fn condition(u: &mut Unstructured<'_>, depth: u32) -> Result<Condition> {
    let top = if depth == 0 { 8 } else { 11 };
    let path = (*u.choose(&PATHS)?).to_owned();
    Ok(match u.int_in_range(0..=top)? {
        0 => Condition::Eq(path, operand(u)?),
        1 => Condition::Ne(path, operand(u)?),
        2 => Condition::Lt(path, operand(u)?),
        3 => Condition::Lte(path, operand(u)?),
        4 => Condition::Gt(path, operand(u)?),
        5 => Condition::Gte(path, operand(u)?),
        6 => Condition::In(path, operands(u)?),
        7 => Condition::Nin(path, operands(u)?),
        8 => Condition::Exists(path, u.arbitrary()?),
        9 => Condition::And(conditions(u, depth - 1)?),
        10 => Condition::Or(conditions(u, depth - 1)?),
        _ => Condition::Not(Box::new(condition(u, depth - 1)?)),
    })
}

fn conditions(u: &mut Unstructured<'_>, depth: u32) -> Result<Vec<Condition>> {
    let mut list = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        list.push(condition(u, depth)?);
    }
    Ok(list)
}

// ----- the reference, from the documentation of `Condition` ------------------

fn reference(condition: &Condition, subject: &Map<String, Value>, caller: &Caller<'_>) -> Truth {
    let leaf = |path: &str| path_value(subject, path);
    match condition {
        Condition::Eq(path, operand) => {
            compare(leaf(path), operand, caller, |o| o == Ordering::Equal, true)
        }
        Condition::Ne(path, operand) => {
            compare(leaf(path), operand, caller, |o| o != Ordering::Equal, false)
        }
        Condition::Lt(path, operand) => {
            compare(leaf(path), operand, caller, |o| o == Ordering::Less, false)
        }
        Condition::Lte(path, operand) => compare(
            leaf(path),
            operand,
            caller,
            |o| o != Ordering::Greater,
            false,
        ),
        Condition::Gt(path, operand) => compare(
            leaf(path),
            operand,
            caller,
            |o| o == Ordering::Greater,
            false,
        ),
        Condition::Gte(path, operand) => {
            compare(leaf(path), operand, caller, |o| o != Ordering::Less, false)
        }
        Condition::In(path, list) => membership(leaf(path), list, caller, true),
        Condition::Nin(path, list) => membership(leaf(path), list, caller, false),
        Condition::Exists(path, present) => {
            Truth::from(leaf(path).is_some_and(|v| !v.is_null()) == *present)
        }
        Condition::And(items) => items.iter().fold(Truth::True, |acc, c| {
            kleene_and(acc, reference(c, subject, caller))
        }),
        Condition::Or(items) => items.iter().fold(Truth::False, |acc, c| {
            kleene_or(acc, reference(c, subject, caller))
        }),
        Condition::Not(inner) => kleene_not(reference(inner, subject, caller)),
    }
}

fn kleene_not(t: Truth) -> Truth {
    match t {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}

fn kleene_and(a: Truth, b: Truth) -> Truth {
    if a == Truth::False || b == Truth::False {
        Truth::False
    } else if a == Truth::True && b == Truth::True {
        Truth::True
    } else {
        Truth::Unknown
    }
}

fn kleene_or(a: Truth, b: Truth) -> Truth {
    kleene_not(kleene_and(kleene_not(a), kleene_not(b)))
}

/// The value at a dotted path: every step but the last must be an object.
fn path_value<'a>(subject: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut steps = path.split('.');
    let mut current = subject.get(steps.next()?)?;
    for step in steps {
        current = current.as_object()?.get(step)?;
    }
    Some(current)
}

/// The operand's value for the caller; `None` when unknown.
fn resolved(operand: &Operand, caller: &Caller<'_>) -> Option<Value> {
    match operand {
        Operand::Value(value) => Some(value.clone()),
        Operand::UserId => caller.user_id.map(Value::from),
        Operand::UserRole => Some(Value::from(caller.role)),
    }
}

/// A comparison: unknown for a missing or `null` side, `False` for
/// composites and across types, booleans only equal or not.
fn compare(
    left: Option<&Value>,
    operand: &Operand,
    caller: &Caller<'_>,
    test: fn(Ordering) -> bool,
    is_eq: bool,
) -> Truth {
    let Some(right) = resolved(operand, caller) else {
        return Truth::Unknown;
    };
    let Some(left) = left else {
        return Truth::Unknown;
    };
    if left.is_null() || right.is_null() {
        return Truth::Unknown;
    }
    match (left, &right) {
        (Value::Bool(x), Value::Bool(y)) => {
            // Equal or not; never ordered.
            let equal = x == y;
            if is_eq {
                Truth::from(equal)
            } else if test(Ordering::Less) && test(Ordering::Greater) {
                Truth::from(!equal)
            } else {
                Truth::False
            }
        }
        (Value::Number(x), Value::Number(y)) => Truth::from(test(numeric_order(x, y))),
        (Value::String(x), Value::String(y)) => Truth::from(test(x.as_bytes().cmp(y.as_bytes()))),
        _ => Truth::False,
    }
}

/// `in_` (`inside`) or `nin`: the Kleene `or` of equalities per value; an
/// array subject needs every element in (`in_`) or none (`nin`).
fn membership(left: Option<&Value>, list: &[Operand], caller: &Caller<'_>, inside: bool) -> Truth {
    if inside && list.is_empty() {
        return Truth::False;
    }
    let resolved: Vec<Option<Value>> = list.iter().map(|o| resolved(o, caller)).collect();
    if list
        .iter()
        .any(|o| matches!(o, Operand::UserId) && caller.user_id.is_none())
    {
        return Truth::Unknown;
    }
    let member = |value: &Value| -> Truth {
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Truth::False;
        }
        resolved.iter().fold(Truth::False, |acc, right| {
            let verdict = match right {
                None => Truth::Unknown,
                Some(right) if value.is_null() || right.is_null() => Truth::Unknown,
                Some(right) => scalar_equal(value, right),
            };
            kleene_or(acc, verdict)
        })
    };
    match left {
        None | Some(Value::Null) => Truth::Unknown,
        Some(Value::Object(_)) => Truth::False,
        Some(Value::Array(items)) => {
            if inside && items.is_empty() {
                return Truth::False;
            }
            items.iter().fold(Truth::True, |acc, item| {
                let m = member(item);
                kleene_and(acc, if inside { m } else { kleene_not(m) })
            })
        }
        Some(value) => {
            let m = member(value);
            if inside { m } else { kleene_not(m) }
        }
    }
}

fn scalar_equal(x: &Value, y: &Value) -> Truth {
    Truth::from(match (x, y) {
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => numeric_order(a, b) == Ordering::Equal,
        (Value::String(a), Value::String(b)) => a == b,
        _ => false,
    })
}

/// The exact order of two JSON numbers, as real numbers.
fn numeric_order(x: &Number, y: &Number) -> Ordering {
    match (exact_integer(x), exact_integer(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(a), None) => integer_float(a, y.as_f64().unwrap_or(0.0)),
        (None, Some(b)) => integer_float(b, x.as_f64().unwrap_or(0.0)).reverse(),
        (None, None) => {
            let (a, b) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    }
}

fn exact_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// An integer (within 2^64) against a finite float: rounding the integer to
/// a float keeps order, so the floats decide unless they tie, and a tie
/// means the float is a whole number within 2^64.
fn integer_float(i: i128, f: f64) -> Ordering {
    #[allow(clippy::cast_precision_loss)] // The rounding is the point.
    let rounded = i as f64;
    match rounded.partial_cmp(&f) {
        Some(Ordering::Equal) | None => {
            #[allow(clippy::cast_possible_truncation)] // A whole float within 2^64.
            let whole = f as i128;
            i.cmp(&whole)
        }
        Some(other) => other,
    }
}
