//! Conditions: a small typed tree over the fields of what the client sends.
//!
//! The semantics are written down once, on [`Condition`].

use std::cmp::Ordering;
use std::ops::{BitAnd, BitOr, Not};

use serde_json::{Map, Number, Value};

/// Who is asking: what user-dependent operands ([`user_id`], [`user_role`])
/// resolve to while a condition is evaluated.
///
/// # Examples
///
/// ```
/// use ferrocrud::security::{eq, user_id, Caller, Truth};
///
/// let subject = serde_json::json!({ "owner": "A" });
/// let subject = subject.as_object().expect("an object");
/// let alice = Caller { user_id: Some("A"), role: "user" };
/// assert_eq!(eq("owner", user_id()).evaluate(subject, &alice), Truth::True);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The user's id; `None` for a guest.
    pub user_id: Option<&'a str>,
    /// The role the request is checked with (the walk starts there).
    pub role: &'a str,
}

/// The result of a condition: SQL's three truth values.
///
/// `&`, `|` and `!` follow Kleene's logic: `False & Unknown` is `False`,
/// `True | Unknown` is `True`, `!Unknown` is `Unknown`. A rule's condition
/// passes only when it is [`Truth::True`].
///
/// # Examples
///
/// ```
/// use ferrocrud::security::Truth;
///
/// assert_eq!(Truth::False & Truth::Unknown, Truth::False);
/// assert_eq!(Truth::True | Truth::Unknown, Truth::True);
/// assert_eq!(!Truth::Unknown, Truth::Unknown);
/// assert!(!Truth::Unknown.is_true());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The condition cannot be decided (a missing field, a JSON `null`, no user).
    Unknown,
}

impl Truth {
    /// Whether this is [`Truth::True`], the only value that lets a rule apply.
    pub fn is_true(self) -> bool {
        self == Truth::True
    }
}

impl From<bool> for Truth {
    fn from(value: bool) -> Self {
        if value { Truth::True } else { Truth::False }
    }
}

impl Not for Truth {
    type Output = Truth;

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

impl BitAnd for Truth {
    type Output = Truth;

    fn bitand(self, rhs: Truth) -> Truth {
        match (self, rhs) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }
}

impl BitOr for Truth {
    type Output = Truth;

    fn bitor(self, rhs: Truth) -> Truth {
        match (self, rhs) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

/// The right-hand side of a comparison: a JSON value, or a value taken from
/// the caller when the request is checked.
///
/// Plain values convert with `From`: `&str`, `String`, integers, `f64`,
/// `bool` and [`serde_json::Value`].
///
/// # Examples
///
/// ```
/// use ferrocrud::security::{user_id, Operand};
///
/// assert_eq!(Operand::from("user"), Operand::Value(serde_json::json!("user")));
/// assert_eq!(Operand::from(3), Operand::Value(serde_json::json!(3)));
/// assert_eq!(user_id(), Operand::UserId);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A constant.
    Value(Value),
    /// The caller's user id; unknown for a guest.
    UserId,
    /// The caller's role (the role the request is made with).
    UserRole,
}

impl From<Value> for Operand {
    fn from(value: Value) -> Self {
        Operand::Value(value)
    }
}

impl From<&str> for Operand {
    fn from(value: &str) -> Self {
        Operand::Value(Value::String(value.to_owned()))
    }
}

impl From<String> for Operand {
    fn from(value: String) -> Self {
        Operand::Value(Value::String(value))
    }
}

impl From<bool> for Operand {
    fn from(value: bool) -> Self {
        Operand::Value(Value::Bool(value))
    }
}

impl From<i32> for Operand {
    fn from(value: i32) -> Self {
        Operand::Value(Value::from(value))
    }
}

impl From<i64> for Operand {
    fn from(value: i64) -> Self {
        Operand::Value(Value::from(value))
    }
}

impl From<u32> for Operand {
    fn from(value: u32) -> Self {
        Operand::Value(Value::from(value))
    }
}

impl From<u64> for Operand {
    fn from(value: u64) -> Self {
        Operand::Value(Value::from(value))
    }
}

impl From<f64> for Operand {
    /// A non-finite float becomes JSON `null`, as in `serde_json`.
    fn from(value: f64) -> Self {
        Operand::Value(Value::from(value))
    }
}

/// The caller's user id, as an operand. Unknown for a guest.
pub fn user_id() -> Operand {
    Operand::UserId
}

/// The caller's role, as an operand.
pub fn user_role() -> Operand {
    Operand::UserRole
}

#[doc = include_str!("docs/condition.md")]
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The field equals the operand.
    Eq(String, Operand),
    /// The field does not equal the operand (same type, different value).
    Ne(String, Operand),
    /// The field equals one of the operands (every element of an array field does).
    In(String, Vec<Operand>),
    /// The field equals none of the operands (no element of an array field does).
    Nin(String, Vec<Operand>),
    /// The field is less than the operand.
    Lt(String, Operand),
    /// The field is less than or equal to the operand.
    Lte(String, Operand),
    /// The field is greater than the operand.
    Gt(String, Operand),
    /// The field is greater than or equal to the operand.
    Gte(String, Operand),
    /// The field is present and not `null` (`true`), or the opposite (`false`).
    Exists(String, bool),
    /// Every condition holds.
    And(Vec<Condition>),
    /// At least one condition holds.
    Or(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

/// `path` equals `value`.
pub fn eq(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Eq(path.into(), value.into())
}

/// `path` does not equal `value` (and has its type).
pub fn ne(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Ne(path.into(), value.into())
}

/// `path` is one of `values`; an array field is a non-empty subset of `values`.
pub fn in_(
    path: impl Into<String>,
    values: impl IntoIterator<Item = impl Into<Operand>>,
) -> Condition {
    Condition::In(path.into(), values.into_iter().map(Into::into).collect())
}

/// `path` is none of `values`; no element of an array field is in `values`.
pub fn nin(
    path: impl Into<String>,
    values: impl IntoIterator<Item = impl Into<Operand>>,
) -> Condition {
    Condition::Nin(path.into(), values.into_iter().map(Into::into).collect())
}

/// `path` is less than `value`.
pub fn lt(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Lt(path.into(), value.into())
}

/// `path` is less than or equal to `value`.
pub fn lte(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Lte(path.into(), value.into())
}

/// `path` is greater than `value`.
pub fn gt(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Gt(path.into(), value.into())
}

/// `path` is greater than or equal to `value`.
pub fn gte(path: impl Into<String>, value: impl Into<Operand>) -> Condition {
    Condition::Gte(path.into(), value.into())
}

/// `path` is present and not `null` (`present = true`), or absent or `null`.
pub fn exists(path: impl Into<String>, present: bool) -> Condition {
    Condition::Exists(path.into(), present)
}

/// All of `conditions` hold; `True` when empty.
pub fn and(conditions: Vec<Condition>) -> Condition {
    Condition::And(conditions)
}

/// One of `conditions` holds; `False` when empty.
pub fn or(conditions: Vec<Condition>) -> Condition {
    Condition::Or(conditions)
}

/// `condition` does not hold (`Unknown` stays `Unknown`).
pub fn not(condition: Condition) -> Condition {
    Condition::Not(Box::new(condition))
}

impl Condition {
    /// The top-level field names the condition reads, once each, in order of
    /// appearance (`a` for the path `a.b`). Used to check at start that
    /// rules name real fields.
    ///
    /// ```
    /// use ferrocrud::security::{and, eq, exists};
    ///
    /// let c = and(vec![eq("owner", "A"), exists("address.city", true), eq("owner", "B")]);
    /// assert_eq!(c.fields(), ["owner", "address"]);
    /// ```
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    /// Rewrites the text operands compared with the fields `paths` (the
    /// entity's `date-time` fields) that are RFC 3339 date-times into the
    /// form requests are brought to (UTC, milliseconds, `Z`), so that a
    /// rule's `+01:00` constant compares as the instant it names.
    ///
    /// ```
    /// use ferrocrud::security::{lt, Operand};
    ///
    /// let mut c = lt("publishedAt", "2026-01-01T00:30:00+01:00");
    /// c.canonicalise_date_times(&["publishedAt".to_owned()]);
    /// assert_eq!(c, lt("publishedAt", "2025-12-31T23:30:00.000Z"));
    /// ```
    pub fn canonicalise_date_times(&mut self, paths: &[String]) {
        let canonical = |path: &str, operand: &mut Operand| {
            if let Operand::Value(value) = operand
                && paths.iter().any(|p| p == path)
            {
                crate::validate::canonicalise_date_times(value);
            }
        };
        match self {
            Condition::Eq(path, operand)
            | Condition::Ne(path, operand)
            | Condition::Lt(path, operand)
            | Condition::Lte(path, operand)
            | Condition::Gt(path, operand)
            | Condition::Gte(path, operand) => canonical(path, operand),
            Condition::In(path, operands) | Condition::Nin(path, operands) => {
                for operand in operands {
                    canonical(path, operand);
                }
            }
            Condition::Exists(..) => {}
            Condition::And(items) | Condition::Or(items) => {
                for item in items {
                    item.canonicalise_date_times(paths);
                }
            }
            Condition::Not(inner) => inner.canonicalise_date_times(paths),
        }
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::Eq(path, _)
            | Condition::Ne(path, _)
            | Condition::In(path, _)
            | Condition::Nin(path, _)
            | Condition::Lt(path, _)
            | Condition::Lte(path, _)
            | Condition::Gt(path, _)
            | Condition::Gte(path, _)
            | Condition::Exists(path, _) => {
                let top = path.split('.').next().unwrap_or(path);
                if !out.contains(&top) {
                    out.push(top);
                }
            }
            Condition::And(items) | Condition::Or(items) => {
                for item in items {
                    item.collect_fields(out);
                }
            }
            Condition::Not(inner) => inner.collect_fields(out),
        }
    }

    /// Evaluates the condition on `subject` for `caller`, following the
    /// semantics documented on [`Condition`]. Never allocates, never panics.
    pub fn evaluate(&self, subject: &Map<String, Value>, caller: &Caller<'_>) -> Truth {
        match self {
            Condition::Eq(path, operand) => compare(subject, path, operand, caller, equal),
            Condition::Ne(path, operand) => compare(subject, path, operand, caller, not_equal),
            Condition::Lt(path, operand) => compare(subject, path, operand, caller, less),
            Condition::Lte(path, operand) => compare(subject, path, operand, caller, less_or_equal),
            Condition::Gt(path, operand) => compare(subject, path, operand, caller, greater),
            Condition::Gte(path, operand) => {
                compare(subject, path, operand, caller, greater_or_equal)
            }
            Condition::In(path, list) => is_in(subject, path, list, caller),
            Condition::Nin(path, list) => not_in(subject, path, list, caller),
            Condition::Exists(path, present) => {
                let found = !matches!(lookup(subject, path), None | Some(Value::Null));
                Truth::from(found == *present)
            }
            Condition::And(items) => {
                let mut acc = Truth::True;
                for item in items {
                    acc = acc & item.evaluate(subject, caller);
                    if acc == Truth::False {
                        break;
                    }
                }
                acc
            }
            Condition::Or(items) => {
                let mut acc = Truth::False;
                for item in items {
                    acc = acc | item.evaluate(subject, caller);
                    if acc == Truth::True {
                        break;
                    }
                }
                acc
            }
            Condition::Not(inner) => !inner.evaluate(subject, caller),
        }
    }
}

/// A value as comparisons see it; `Str` also carries caller-provided text.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Null,
    Bool(bool),
    Num(&'a Number),
    Str(&'a str),
    Composite,
}

fn scalar(value: &Value) -> Scalar<'_> {
    match value {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => Scalar::Num(n),
        Value::String(s) => Scalar::Str(s),
        Value::Array(_) | Value::Object(_) => Scalar::Composite,
    }
}

/// The operand's value for this caller; `None` when it is unknown (no user).
fn resolve<'a>(operand: &'a Operand, caller: &Caller<'a>) -> Option<Scalar<'a>> {
    match operand {
        Operand::Value(value) => Some(scalar(value)),
        Operand::UserId => caller.user_id.map(Scalar::Str),
        Operand::UserRole => Some(Scalar::Str(caller.role)),
    }
}

/// The value at a dotted path; `None` when a step is not an object key.
pub(super) fn lookup<'a>(subject: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut object = subject;
    let mut rest = path;
    while let Some(dot) = rest.bytes().position(|b| b == b'.') {
        object = key_value(object, &rest[..dot])?.as_object()?;
        rest = &rest[dot + 1..];
    }
    key_value(object, rest)
}

/// Objects up to this many keys are searched by comparing keys, cheaper
/// than hashing the key for the few fields a request carries.
const SCAN_LIMIT: usize = 8;

/// The value of `key` in `object`.
fn key_value<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if object.len() <= SCAN_LIMIT {
        object.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        object.get(key)
    }
}

/// The order of two scalars of one type; `None` for different types,
/// booleans compared for order, or composites.
fn ordering(a: Scalar<'_>, b: Scalar<'_>) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => Some(compare_numbers(x, y)),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

/// Exact numeric order of two JSON numbers, integers and floats alike.
fn compare_numbers(x: &Number, y: &Number) -> Ordering {
    match (integer(x), integer(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(a), None) => compare_int_float(a, float(y)),
        (None, Some(b)) => compare_int_float(b, float(x)).reverse(),
        // Both finite (JSON has no NaN), so always ordered; `-0.0` equals
        // `0.0`, as in SQL.
        (None, None) => float(x).partial_cmp(&float(y)).unwrap_or(Ordering::Equal),
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn float(n: &Number) -> f64 {
    // A JSON number that is not an integer is a finite f64.
    n.as_f64().unwrap_or(0.0)
}

/// Compares an integer with a finite float without losing precision.
fn compare_int_float(i: i128, f: f64) -> Ordering {
    // 2^127: beyond it no i128 reaches; JSON integers fit in 2^64 anyway.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f.is_nan() {
        return Ordering::Less;
    }
    if f >= LIMIT {
        return Ordering::Less;
    }
    if f < -LIMIT {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // `whole` is integral and within i128, so the cast is exact.
    let whole_int = whole as i128;
    match i.cmp(&whole_int) {
        Ordering::Equal => {
            if f > whole {
                Ordering::Less
            } else if f < whole {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    }
}

/// Equality of two non-null scalars: `False` across types and for composites.
fn equal(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        _ => ordering(a, b) == Some(Ordering::Equal),
    }
}

/// Inequality of two non-null scalars of one type: `False` across types.
fn not_equal(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => x != y,
        _ => matches!(ordering(a, b), Some(Ordering::Less | Ordering::Greater)),
    }
}

/// A scalar comparison with the null/unknown rules applied first.
fn compare(
    subject: &Map<String, Value>,
    path: &str,
    operand: &Operand,
    caller: &Caller<'_>,
    test: fn(Scalar<'_>, Scalar<'_>) -> bool,
) -> Truth {
    let Some(right) = resolve(operand, caller) else {
        return Truth::Unknown;
    };
    let left = match lookup(subject, path) {
        None => return Truth::Unknown,
        Some(value) => scalar(value),
    };
    match (left, right) {
        (Scalar::Null, _) | (_, Scalar::Null) => Truth::Unknown,
        (Scalar::Composite, _) | (_, Scalar::Composite) => Truth::False,
        _ => Truth::from(test(left, right)),
    }
}

fn less(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    ordering(a, b) == Some(Ordering::Less)
}

fn less_or_equal(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    matches!(ordering(a, b), Some(Ordering::Less | Ordering::Equal))
}

fn greater(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    ordering(a, b) == Some(Ordering::Greater)
}

fn greater_or_equal(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    matches!(ordering(a, b), Some(Ordering::Greater | Ordering::Equal))
}

/// Membership of one non-composite value in a resolved list (Kleene `or` of
/// equalities).
fn member(value: Scalar<'_>, list: &[Operand], caller: &Caller<'_>) -> Truth {
    let mut acc = Truth::False;
    for operand in list {
        let verdict = match (value, resolve(operand, caller)) {
            (_, None) | (Scalar::Null, _) | (_, Some(Scalar::Null)) => Truth::Unknown,
            (_, Some(right)) => Truth::from(equal(value, right)),
        };
        acc = acc | verdict;
        if acc == Truth::True {
            break;
        }
    }
    acc
}

fn has_unknown_operand(list: &[Operand], caller: &Caller<'_>) -> bool {
    caller.user_id.is_none() && list.iter().any(|o| matches!(o, Operand::UserId))
}

fn is_in(subject: &Map<String, Value>, path: &str, list: &[Operand], caller: &Caller<'_>) -> Truth {
    if list.is_empty() {
        return Truth::False;
    }
    if has_unknown_operand(list, caller) {
        return Truth::Unknown;
    }
    match lookup(subject, path) {
        None | Some(Value::Null) => Truth::Unknown,
        Some(Value::Object(_)) => Truth::False,
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Truth::False;
            }
            let mut acc = Truth::True;
            for item in items {
                acc = acc & member_of_item(item, list, caller);
                if acc == Truth::False {
                    break;
                }
            }
            acc
        }
        Some(value) => member(scalar(value), list, caller),
    }
}

/// Membership of an array element: composites are in no list.
fn member_of_item(item: &Value, list: &[Operand], caller: &Caller<'_>) -> Truth {
    match scalar(item) {
        Scalar::Composite => Truth::False,
        value => member(value, list, caller),
    }
}

fn not_in(
    subject: &Map<String, Value>,
    path: &str,
    list: &[Operand],
    caller: &Caller<'_>,
) -> Truth {
    if has_unknown_operand(list, caller) {
        return Truth::Unknown;
    }
    match lookup(subject, path) {
        None | Some(Value::Null) => Truth::Unknown,
        Some(Value::Object(_)) => Truth::False,
        Some(Value::Array(items)) => {
            let mut acc = Truth::True;
            for item in items {
                acc = acc & !member_of_item(item, list, caller);
                if acc == Truth::False {
                    break;
                }
            }
            acc
        }
        Some(value) => !member(scalar(value), list, caller),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const BOB: Caller<'static> = Caller {
        user_id: Some("B"),
        role: "user",
    };
    const GUEST: Caller<'static> = Caller {
        user_id: None,
        role: "guest",
    };

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn eval(c: &Condition, subject: Value) -> Truth {
        c.evaluate(&obj(subject), &BOB)
    }

    #[test]
    fn kleene_tables() {
        use Truth::{False as F, True as T, Unknown as U};
        assert_eq!([T & T, T & F, T & U, F & U, U & U], [T, F, U, F, U]);
        assert_eq!([F | F, T | F, F | U, T | U, U | U], [F, T, U, T, U]);
        assert_eq!([!T, !F, !U], [F, T, U]);
    }

    #[test]
    fn missing_and_null_are_unknown() {
        for op in [
            eq("a", 1),
            ne("a", 1),
            lt("a", 1),
            lte("a", 1),
            gt("a", 1),
            gte("a", 1),
        ] {
            assert_eq!(eval(&op, json!({})), Truth::Unknown);
            assert_eq!(eval(&op, json!({ "a": null })), Truth::Unknown);
            assert_eq!(
                eval(&op, json!({ "a": 1 , "b": null})).is_true(),
                !matches!(
                    op,
                    Condition::Ne(..) | Condition::Lt(..) | Condition::Gt(..)
                )
            );
        }
        assert_eq!(eval(&in_("a", [1]), json!({ "a": null })), Truth::Unknown);
        assert_eq!(eval(&nin("a", [1]), json!({})), Truth::Unknown);
    }

    /// Found by fuzzing: two floats were ordered by `f64::total_cmp`, which
    /// puts `-0.0` before `0.0`, so `eq("a", 0.0)` was `False` for `-0.0`
    /// (and `0 == -0.0 == 0.0` was not transitive) where SQL finds them equal.
    #[test]
    fn negative_zero_equals_zero() {
        let subject = json!({ "a": -0.0 });
        assert_eq!(eval(&eq("a", 0.0), subject.clone()), Truth::True);
        assert_eq!(eval(&eq("a", 0), subject.clone()), Truth::True);
        assert_eq!(eval(&lt("a", 0.0), subject.clone()), Truth::False);
        assert_eq!(eval(&ne("a", 0.0), subject.clone()), Truth::False);
        assert_eq!(eval(&in_("a", [0.0]), subject.clone()), Truth::True);
        assert_eq!(eval(&nin("a", [0.0]), json!({ "a": [-0.0] })), Truth::False);
        assert_eq!(eval(&lt("a", 0.5), subject), Truth::True);
    }

    #[test]
    fn null_operand_is_unknown() {
        assert_eq!(
            eval(&eq("a", Value::Null), json!({ "a": 1 })),
            Truth::Unknown
        );
        assert_eq!(
            eval(&ne("a", Value::Null), json!({ "a": 1 })),
            Truth::Unknown
        );
    }

    #[test]
    fn guest_user_id_is_unknown() {
        let subject = obj(json!({ "owner": "A", "ids": [] }));
        for c in [
            eq("owner", user_id()),
            not(eq("owner", user_id())),
            ne("owner", user_id()),
            in_("owner", [user_id(), Operand::from("A")]),
            nin("ids", [user_id()]),
        ] {
            assert_eq!(c.evaluate(&subject, &GUEST), Truth::Unknown, "{c:?}");
        }
    }

    #[test]
    fn user_role_operand() {
        let subject = obj(json!({ "role": "user" }));
        assert_eq!(
            eq("role", user_role()).evaluate(&subject, &BOB),
            Truth::True
        );
        assert_eq!(
            eq("role", user_role()).evaluate(&subject, &GUEST),
            Truth::False
        );
    }

    #[test]
    fn numbers_compare_across_integer_and_float() {
        assert!(eval(&eq("n", 1), json!({ "n": 1.0 })).is_true());
        assert!(eval(&eq("n", 1.0), json!({ "n": 1 })).is_true());
        assert!(eval(&lt("n", 1.5), json!({ "n": 1 })).is_true());
        assert!(eval(&gt("n", 1), json!({ "n": 1.5 })).is_true());
        assert!(eval(&gte("n", -1), json!({ "n": -1.0 })).is_true());
        // Beyond 2^53, an f64 cannot tell these apart; the integer order can.
        let big = 9_007_199_254_740_993_i64;
        assert!(eval(&gt("n", 9_007_199_254_740_992.0), json!({ "n": big })).is_true());
        assert!(!eval(&eq("n", big), json!({ "n": big - 1 })).is_true());
        assert!(eval(&gt("n", u64::MAX), json!({ "n": 1e300 })).is_true());
        assert!(eval(&lt("n", i64::MIN), json!({ "n": -1e300 })).is_true());
    }

    #[test]
    fn strings_compare_by_bytes() {
        assert!(eval(&lt("s", "a"), json!({ "s": "B" })).is_true());
        assert!(eval(&gt("s", "z"), json!({ "s": "é" })).is_true());
        assert!(eval(&lte("s", "ab"), json!({ "s": "ab" })).is_true());
        assert!(eval(&eq("s", ""), json!({ "s": "" })).is_true());
    }

    #[test]
    fn different_types_are_false() {
        for c in [eq("a", "1"), ne("a", "1"), lt("a", "2"), gte("a", "0")] {
            assert_eq!(eval(&c, json!({ "a": 1 })), Truth::False, "{c:?}");
        }
        assert_eq!(eval(&eq("a", true), json!({ "a": 1 })), Truth::False);
        assert_eq!(eval(&lt("a", true), json!({ "a": false })), Truth::False);
        assert_eq!(eval(&eq("a", true), json!({ "a": true })), Truth::True);
        assert_eq!(eval(&ne("a", true), json!({ "a": false })), Truth::True);
    }

    #[test]
    fn eq_and_ne_are_strictly_scalar() {
        let c = eq("owner", user_id());
        assert_eq!(eval(&c, json!({ "owner": ["B"] })), Truth::False);
        assert_eq!(eval(&c, json!({ "owner": { "id": "B" } })), Truth::False);
        assert_eq!(
            eval(&ne("owner", "A"), json!({ "owner": ["B"] })),
            Truth::False
        );
        assert_eq!(eval(&lt("a", 3), json!({ "a": [1] })), Truth::False);
        assert_eq!(
            eval(&eq("a", json!([1])), json!({ "a": [1] })),
            Truth::False
        );
    }

    #[test]
    fn in_semantics() {
        let c = in_("roles", ["user"]);
        assert_eq!(eval(&c, json!({ "roles": "user" })), Truth::True);
        assert_eq!(eval(&c, json!({ "roles": "admin" })), Truth::False);
        assert_eq!(eval(&c, json!({ "roles": ["user", "user"] })), Truth::True);
        assert_eq!(
            eval(&c, json!({ "roles": ["user", "admin"] })),
            Truth::False
        );
        assert_eq!(eval(&c, json!({ "roles": [] })), Truth::False);
        assert_eq!(eval(&c, json!({ "roles": ["user", null] })), Truth::Unknown);
        assert_eq!(
            eval(&c, json!({ "roles": ["user", ["user"]] })),
            Truth::False
        );
        assert_eq!(eval(&c, json!({ "roles": { "user": 1 } })), Truth::False);
        let empty: [&str; 0] = [];
        assert_eq!(
            eval(&in_("roles", empty), json!({ "roles": "user" })),
            Truth::False
        );
        assert_eq!(eval(&in_("roles", empty), json!({})), Truth::False);
    }

    #[test]
    fn nin_semantics() {
        let c = nin("roles", ["admin"]);
        assert_eq!(eval(&c, json!({ "roles": "user" })), Truth::True);
        assert_eq!(eval(&c, json!({ "roles": "admin" })), Truth::False);
        assert_eq!(eval(&c, json!({ "roles": 3 })), Truth::True);
        assert_eq!(eval(&c, json!({ "roles": ["user"] })), Truth::True);
        assert_eq!(eval(&c, json!({ "roles": [] })), Truth::True);
        assert_eq!(
            eval(&c, json!({ "roles": ["user", "admin"] })),
            Truth::False
        );
        assert_eq!(eval(&c, json!({ "roles": [null] })), Truth::Unknown);
        assert_eq!(eval(&c, json!({ "roles": null })), Truth::Unknown);
        let empty: [&str; 0] = [];
        assert_eq!(
            eval(&nin("roles", empty), json!({ "roles": "x" })),
            Truth::True
        );
    }

    #[test]
    fn exists_is_never_unknown() {
        let subject = json!({ "a": 1, "n": null, "o": { "b": 0 } });
        assert_eq!(eval(&exists("a", true), subject.clone()), Truth::True);
        assert_eq!(eval(&exists("n", true), subject.clone()), Truth::False);
        assert_eq!(eval(&exists("n", false), subject.clone()), Truth::True);
        assert_eq!(eval(&exists("z", false), subject.clone()), Truth::True);
        assert_eq!(eval(&exists("o.b", true), subject.clone()), Truth::True);
        assert_eq!(eval(&exists("a.b", true), subject), Truth::False);
    }

    #[test]
    fn dotted_paths() {
        let subject = json!({ "a": { "b": { "c": "x" } }, "l": [{ "b": 1 }] });
        assert_eq!(eval(&eq("a.b.c", "x"), subject.clone()), Truth::True);
        assert_eq!(eval(&eq("a.b", "x"), subject.clone()), Truth::False);
        assert_eq!(eval(&eq("a.z.c", "x"), subject.clone()), Truth::Unknown);
        assert_eq!(eval(&eq("l.b", 1), subject), Truth::Unknown);
    }

    /// `lookup` scans small objects and hashes into large ones; both must
    /// find what a plain walk of `split('.')` finds.
    #[test]
    fn lookup_agrees_with_a_plain_walk() {
        fn walk<'a>(subject: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
            let mut steps = path.split('.');
            let mut current = subject.get(steps.next()?)?;
            for step in steps {
                current = current.as_object()?.get(step)?;
            }
            Some(current)
        }
        let mut large = Map::new();
        for i in 0..(SCAN_LIMIT + 4) {
            large.insert(format!("k{i}"), json!(i));
        }
        large.insert("".into(), json!({ "": "empty steps" }));
        let subject = json!({
            "a": { "b": { "c": "x" }, "": 2 },
            "l": [{ "b": 1 }],
            "large": Value::Object(large.clone()),
            "": { "b": 3 },
        });
        let subject = subject.as_object().expect("an object");
        let mut paths = vec![
            "a", "a.b", "a.b.c", "a.b.c.d", "a.", "a..b", ".b", "", ".", "l.b", "z", "large",
        ];
        let keys: Vec<String> = large.keys().map(|k| format!("large.{k}")).collect();
        paths.extend(keys.iter().map(String::as_str));
        paths.extend(["large.", "large..", "large.k3.x", "large.zz"]);
        for path in paths {
            assert_eq!(lookup(subject, path), walk(subject, path), "path {path:?}");
        }
        for key in large.keys() {
            assert_eq!(lookup(&large, key), large.get(key), "key {key:?}");
        }
        assert_eq!(lookup(&large, "k3"), Some(&json!(3)));
        assert_eq!(lookup(&large, "."), Some(&json!("empty steps")));
    }

    #[test]
    fn empty_and_or() {
        assert_eq!(eval(&and(vec![]), json!({})), Truth::True);
        assert_eq!(eval(&or(vec![]), json!({})), Truth::False);
    }

    #[test]
    fn fields_lists_top_level_names_once() {
        let c = or(vec![
            not(eq("a.b", 1)),
            in_("c", [1]),
            and(vec![exists("a", true), nin("d", [1])]),
        ]);
        assert_eq!(c.fields(), ["a", "c", "d"]);
    }

    // ----- properties ---------------------------------------------------------

    const NAMES: [&str; 4] = ["a", "b", "c", "a.b"];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e20_f64..1.0e20).prop_map(Value::from),
            prop_oneof![Just(0_i64), Just(1), Just(-1)].prop_map(Value::from),
            "[abAB é]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[abc]", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn subject() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec(("[abc]", json_value()), 0..4).prop_map(|kv| kv.into_iter().collect())
    }

    fn operand() -> impl Strategy<Value = Operand> {
        prop_oneof![
            4 => json_value().prop_map(Operand::Value),
            1 => Just(Operand::UserId),
            1 => Just(Operand::UserRole),
        ]
    }

    fn path() -> impl Strategy<Value = String> {
        prop::sample::select(NAMES.to_vec()).prop_map(str::to_owned)
    }

    fn leaf() -> impl Strategy<Value = Condition> {
        prop_oneof![
            (path(), operand()).prop_map(|(p, o)| Condition::Eq(p, o)),
            (path(), operand()).prop_map(|(p, o)| Condition::Ne(p, o)),
            (path(), operand()).prop_map(|(p, o)| Condition::Lt(p, o)),
            (path(), operand()).prop_map(|(p, o)| Condition::Lte(p, o)),
            (path(), operand()).prop_map(|(p, o)| Condition::Gt(p, o)),
            (path(), operand()).prop_map(|(p, o)| Condition::Gte(p, o)),
            (path(), prop::collection::vec(operand(), 0..3)).prop_map(|(p, l)| Condition::In(p, l)),
            (path(), prop::collection::vec(operand(), 0..3))
                .prop_map(|(p, l)| Condition::Nin(p, l)),
            (path(), any::<bool>()).prop_map(|(p, b)| Condition::Exists(p, b)),
        ]
    }

    fn condition() -> impl Strategy<Value = Condition> {
        leaf().prop_recursive(3, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::And),
                prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::Or),
                inner.prop_map(not),
            ]
        })
    }

    fn caller_id() -> impl Strategy<Value = Option<String>> {
        prop::option::of("[abAB]{0,2}")
    }

    /// Leaves that mention `user_id()` as a positive requirement.
    fn user_leaf() -> impl Strategy<Value = Condition> {
        prop_oneof![
            path().prop_map(|p| eq(p, user_id())),
            (path(), prop::collection::vec(operand(), 0..3)).prop_map(|(p, mut l)| {
                l.push(user_id());
                Condition::In(p, l)
            }),
        ]
    }

    proptest! {
        #[test]
        fn double_negation(c in condition(), s in subject(), id in caller_id()) {
            let caller = Caller { user_id: id.as_deref(), role: "user" };
            prop_assert_eq!(not(not(c.clone())).evaluate(&s, &caller), c.evaluate(&s, &caller));
        }

        #[test]
        fn de_morgan(a in condition(), b in condition(), s in subject(), id in caller_id()) {
            let caller = Caller { user_id: id.as_deref(), role: "user" };
            let left = not(and(vec![a.clone(), b.clone()])).evaluate(&s, &caller);
            let right = or(vec![not(a.clone()), not(b.clone())]).evaluate(&s, &caller);
            prop_assert_eq!(left, right);
            let left = not(or(vec![a.clone(), b.clone()])).evaluate(&s, &caller);
            let right = and(vec![not(a), not(b)]).evaluate(&s, &caller);
            prop_assert_eq!(left, right);
        }

        #[test]
        fn and_or_are_the_kleene_fold(items in prop::collection::vec(condition(), 0..4), s in subject()) {
            let each: Vec<Truth> = items.iter().map(|c| c.evaluate(&s, &BOB)).collect();
            let all = each.iter().fold(Truth::True, |acc, t| acc & *t);
            let any = each.iter().fold(Truth::False, |acc, t| acc | *t);
            prop_assert_eq!(and(items.clone()).evaluate(&s, &BOB), all);
            prop_assert_eq!(or(items).evaluate(&s, &BOB), any);
        }

        #[test]
        fn evaluation_never_panics(c in condition(), s in subject(), id in caller_id()) {
            let caller = Caller { user_id: id.as_deref(), role: "r" };
            let _ = c.evaluate(&s, &caller);
            let _ = c.fields();
        }

        #[test]
        fn in_empty_never_passes(p in path(), s in subject(), id in caller_id()) {
            let caller = Caller { user_id: id.as_deref(), role: "user" };
            prop_assert_eq!(Condition::In(p, Vec::new()).evaluate(&s, &caller), Truth::False);
        }

        #[test]
        fn exists_is_two_valued(p in path(), b in any::<bool>(), s in subject()) {
            prop_assert_ne!(exists(p, b).evaluate(&s, &BOB), Truth::Unknown);
        }

        #[test]
        fn missing_field_never_passes_a_comparison(o in operand(), id in caller_id()) {
            let caller = Caller { user_id: id.as_deref(), role: "user" };
            let s = Map::new();
            for c in [eq("a", o.clone()), ne("a", o.clone()), lt("a", o.clone()), gte("a", o.clone())] {
                prop_assert_eq!(c.evaluate(&s, &caller), Truth::Unknown);
                prop_assert_eq!(not(c).evaluate(&s, &caller), Truth::Unknown);
            }
        }

        #[test]
        fn guest_never_passes_positive_user_id(
            leaves in prop::collection::vec(user_leaf(), 1..4),
            disjunct in any::<bool>(),
            other in condition(),
            s in subject(),
        ) {
            let c = if disjunct { or(leaves) } else { and(leaves) };
            prop_assert!(!c.evaluate(&s, &GUEST).is_true());
            let guarded = and(vec![other, c]);
            prop_assert!(!guarded.evaluate(&s, &GUEST).is_true());
        }

        #[test]
        fn eq_is_symmetric_on_numbers(x in any::<i64>(), y in -1.0e19_f64..1.0e19) {
            let s1 = obj(json!({ "a": x }));
            let s2 = obj(json!({ "a": y }));
            prop_assert_eq!(eq("a", y).evaluate(&s1, &BOB), eq("a", x).evaluate(&s2, &BOB));
            prop_assert_eq!(lt("a", y).evaluate(&s1, &BOB), gt("a", x).evaluate(&s2, &BOB));
        }
    }
}
