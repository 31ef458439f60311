//! Compiled rules and the checks they run.
//!
//! A type compiles into [`ObjectRules`] (one [`FieldRule`] per property) and
//! each field's value into a [`ValueRule`]. Checking walks these tables only;
//! the schema is gone by then.

use std::cmp::Ordering;
use std::ops::ControlFlow;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::Mode;
use super::format::{Format, utf16_len};
use super::transform::Transform;
use crate::fast_map::FastMap;

/// Constraint name of an unknown property.
pub(crate) const WHITELIST: &str = "whitelistValidation";

/// A constraint, spelled as class-validator names it.
///
/// The declaration order is the check order: when a value fails several,
/// the first one is reported (class-validator's `stopAtFirstError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Constraint {
    Max,
    Min,
    MaxLength,
    MinLength,
    ArrayMaxSize,
    ArrayMinSize,
    ArrayUnique,
    IsEmail,
    IsDateString,
    IsUuid,
    IsIp,
    Matches,
    IsIn,
    IsString,
    IsInt,
    IsNumber,
    IsBoolean,
    IsArray,
    IsObject,
    NestedValidation,
    IsDefined,
}

impl Constraint {
    /// class-validator's name of the constraint.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Max => "max",
            Self::Min => "min",
            Self::MaxLength => "maxLength",
            Self::MinLength => "minLength",
            Self::ArrayMaxSize => "arrayMaxSize",
            Self::ArrayMinSize => "arrayMinSize",
            Self::ArrayUnique => "arrayUnique",
            Self::IsEmail => "isEmail",
            Self::IsDateString => "isDateString",
            Self::IsUuid => "isUuid",
            Self::IsIp => "isIp",
            Self::Matches => "matches",
            Self::IsIn => "isIn",
            Self::IsString => "isString",
            Self::IsInt => "isInt",
            Self::IsNumber => "isNumber",
            Self::IsBoolean => "isBoolean",
            Self::IsArray => "isArray",
            Self::IsObject => "isObject",
            Self::NestedValidation => "nestedValidation",
            Self::IsDefined => "isDefined",
        }
    }
}

/// A number of a bound: integers exactly, the rest as `f64`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub(crate) fn from_json(n: &Number) -> Option<Self> {
        if let Some(i) = n.as_i64() {
            Some(Self::Int(i.into()))
        } else if let Some(u) = n.as_u64() {
            Some(Self::Int(u.into()))
        } else {
            n.as_f64().map(Self::Float)
        }
    }

    /// How the JSON number `n` compares to `self`.
    fn cmp_json(self, n: &Number) -> Option<Ordering> {
        Self::from_json(n)?.partial_cmp(&self)
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (*self, *other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (Self::Int(a), Self::Float(b)) => (a as f64).partial_cmp(&b),
            (Self::Float(a), Self::Int(b)) => a.partial_cmp(&(b as f64)),
            (Self::Float(a), Self::Float(b)) => a.partial_cmp(&b),
        }
    }
}

/// A `minimum`/`maximum` (or exclusive) bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub(crate) value: Num,
    pub(crate) exclusive: bool,
    /// The bound is the range of the integer type (`u32` gives `minimum: 0`),
    /// not a rule of the field: values of another type are left to the type check.
    pub(crate) implied: bool,
}

impl Bound {
    fn allows_at_most(&self, n: &Number) -> bool {
        match self.value.cmp_json(n) {
            Some(Ordering::Less) => true,
            Some(Ordering::Equal) => !self.exclusive,
            _ => false,
        }
    }

    fn allows_at_least(&self, n: &Number) -> bool {
        match self.value.cmp_json(n) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => !self.exclusive,
            _ => false,
        }
    }
}

/// The JSON type a value must have.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Anything (`serde_json::Value`).
    Any,
    String,
    Integer,
    Number,
    Boolean,
    /// An array whose items follow the rule (class-validator's `each`).
    Array(Box<ValueRule>),
    /// An object of the compiled types table, by index.
    Object(usize),
    /// Any one of these scalar rules (untagged enums, `anyOf`).
    AnyOf(Box<[ValueRule]>),
}

/// The rule of one value: its kind and its constraints.
#[derive(Debug, Clone)]
pub(crate) struct ValueRule {
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
    pub(crate) max: Option<Bound>,
    pub(crate) min: Option<Bound>,
    pub(crate) max_length: Option<usize>,
    pub(crate) min_length: Option<usize>,
    pub(crate) max_items: Option<usize>,
    pub(crate) min_items: Option<usize>,
    pub(crate) unique_items: bool,
    pub(crate) format: Option<Format>,
    pub(crate) pattern: Option<Regex>,
    pub(crate) allowed: Option<Box<[Value]>>,
    /// The first constraint in check order: what a missing or mistyped value fails.
    pub(crate) first: Constraint,
}

impl ValueRule {
    /// Whether the value is a `date-time`, or an array of them.
    pub(crate) fn holds_date_times(&self) -> bool {
        match &self.kind {
            Kind::Array(item) => item.format == Some(Format::DateTime),
            _ => self.format == Some(Format::DateTime),
        }
    }

    /// A rule with no constraint but the kind; call [`finish`](Self::finish)
    /// after adding constraints.
    pub(crate) fn new(kind: Kind) -> Self {
        let mut rule = Self {
            kind,
            nullable: false,
            max: None,
            min: None,
            max_length: None,
            min_length: None,
            max_items: None,
            min_items: None,
            unique_items: false,
            format: None,
            pattern: None,
            allowed: None,
            first: Constraint::IsDefined,
        };
        rule.finish();
        rule
    }

    /// Computes [`first`](Self::first) from the constraints.
    pub(crate) fn finish(&mut self) {
        let mut first = match &self.kind {
            Kind::Any => Constraint::IsDefined,
            Kind::String => Constraint::IsString,
            Kind::Integer => Constraint::IsInt,
            Kind::Number => Constraint::IsNumber,
            Kind::Boolean => Constraint::IsBoolean,
            Kind::Array(items) => items.first.min(Constraint::IsArray),
            Kind::Object(_) => Constraint::IsObject,
            Kind::AnyOf(alternatives) => alternatives
                .iter()
                .map(|a| a.first)
                .min()
                .unwrap_or(Constraint::IsDefined),
        };
        let present = [
            (self.max.is_some_and(|b| !b.implied), Constraint::Max),
            (self.min.is_some_and(|b| !b.implied), Constraint::Min),
            (self.max_length.is_some(), Constraint::MaxLength),
            (self.min_length.is_some(), Constraint::MinLength),
            (self.max_items.is_some(), Constraint::ArrayMaxSize),
            (self.min_items.is_some(), Constraint::ArrayMinSize),
            (self.unique_items, Constraint::ArrayUnique),
            (self.pattern.is_some(), Constraint::Matches),
            (self.allowed.is_some(), Constraint::IsIn),
        ];
        for (is_present, constraint) in present {
            if is_present {
                first = first.min(constraint);
            }
        }
        if let Some(format) = self.format {
            first = first.min(format.constraint());
        }
        self.first = first;
    }

    /// Whether the rule constrains nothing but the kind and the allowed values.
    pub(crate) fn is_plain_list(&self) -> bool {
        self.allowed.is_some()
            && self.max.is_none()
            && self.min.is_none()
            && self.max_length.is_none()
            && self.min_length.is_none()
            && self.format.is_none()
            && self.pattern.is_none()
            && !matches!(self.kind, Kind::Array(_) | Kind::Object(_) | Kind::AnyOf(_))
    }

    /// Whether the rule holds objects, directly or in arrays.
    pub(crate) fn holds_objects(&self) -> bool {
        match &self.kind {
            Kind::Object(_) => true,
            Kind::Array(items) => items.holds_objects(),
            Kind::AnyOf(alternatives) => alternatives.iter().any(Self::holds_objects),
            _ => false,
        }
    }

    fn has_json_type(&self, value: &Value) -> bool {
        match self.kind {
            Kind::Any | Kind::AnyOf(_) => true,
            Kind::String => value.is_string(),
            Kind::Integer | Kind::Number => value.is_number(),
            Kind::Boolean => value.is_boolean(),
            Kind::Array(_) => value.is_array(),
            Kind::Object(_) => value.is_object(),
        }
    }

    /// The first constraint `value` fails, `None` if it passes.
    ///
    /// A float with a zero fraction passing an integer rule is rewritten as
    /// an integer in place.
    pub(crate) fn first_failure(
        &self,
        value: &mut Value,
        objects: &[ObjectRules],
    ) -> Option<Constraint> {
        if value.is_null() {
            return (!self.nullable).then_some(self.first);
        }
        if !self.has_json_type(value) {
            return Some(self.first);
        }
        if let Kind::AnyOf(alternatives) = &self.kind {
            let mut failure = None;
            for alternative in alternatives {
                match alternative.first_failure(value, objects) {
                    None => return None,
                    Some(c) => failure = Some(failure.map_or(c, |f: Constraint| f.min(c))),
                }
            }
            return failure;
        }
        let own = self.own_failure(value);
        match (&self.kind, value) {
            (Kind::Array(items), Value::Array(values)) => {
                let worst = values
                    .iter_mut()
                    .filter_map(|v| items.first_failure(v, objects))
                    .min();
                match (own, worst) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            _ if own.is_some() => own,
            (Kind::Integer, value) => to_integer(value),
            (Kind::Object(index), Value::Object(map)) => {
                let valid = objects[*index]
                    .visit(map, Mode::Full, objects, &mut |_, _| ControlFlow::Break(()))
                    .is_continue();
                (!valid).then_some(Constraint::NestedValidation)
            }
            _ => None,
        }
    }

    /// The first failing constraint among bounds, lengths, formats and
    /// allowed values, for a value of the rule's JSON type.
    fn own_failure(&self, value: &Value) -> Option<Constraint> {
        match value {
            Value::Number(n) => {
                if self.max.is_some_and(|b| !b.allows_at_most(n)) {
                    return Some(Constraint::Max);
                }
                if self.min.is_some_and(|b| !b.allows_at_least(n)) {
                    return Some(Constraint::Min);
                }
            }
            Value::String(s) => {
                if self.max_length.is_some() || self.min_length.is_some() {
                    let len = utf16_len(s);
                    if self.max_length.is_some_and(|max| len > max) {
                        return Some(Constraint::MaxLength);
                    }
                    if self.min_length.is_some_and(|min| len < min) {
                        return Some(Constraint::MinLength);
                    }
                }
                if let Some(format) = self.format
                    && !format.matches(s)
                {
                    return Some(format.constraint());
                }
                if let Some(pattern) = &self.pattern
                    && !pattern.is_match(s)
                {
                    return Some(Constraint::Matches);
                }
            }
            Value::Array(items) => {
                if self.max_items.is_some_and(|max| items.len() > max) {
                    return Some(Constraint::ArrayMaxSize);
                }
                if self.min_items.is_some_and(|min| items.len() < min) {
                    return Some(Constraint::ArrayMinSize);
                }
                if self.unique_items && has_duplicates(items) {
                    return Some(Constraint::ArrayUnique);
                }
            }
            _ => {}
        }
        match &self.allowed {
            Some(allowed) if !allowed.contains(value) => Some(Constraint::IsIn),
            _ => None,
        }
    }
}

fn has_duplicates(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items[i + 1..].contains(a))
}

/// `isInt`: integers pass; a float with a zero fraction passes and is
/// rewritten as an integer when it fits `i64`/`u64`.
fn to_integer(value: &mut Value) -> Option<Constraint> {
    let Value::Number(n) = value else {
        return Some(Constraint::IsInt);
    };
    if n.is_i64() || n.is_u64() {
        return None;
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if !f.is_finite() || f.fract() != 0.0 {
        return Some(Constraint::IsInt);
    }
    // 2^63 and 2^64 are exact in f64; the casts below are in range.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        *value = Value::from(f as i64);
    } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        *value = Value::from(f as u64);
    }
    None
}

/// The rules of one property of a type.
///
/// Compiled once from the type's JSON Schema;
/// [`Validator::field`](super::Validator::field) exposes it for introspection.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub(crate) name: String,
    pub(crate) required: bool,
    pub(crate) secret: bool,
    pub(crate) delete: bool,
    pub(crate) transforms: Box<[Transform]>,
    /// Size limit of a value of the field's shape (explicit only for objects).
    pub(crate) max_size: Option<usize>,
    /// Size limit of a value not of the field's shape (always resolved).
    pub(crate) fallback_max_size: Option<usize>,
    pub(crate) max_length: Option<usize>,
    pub(crate) rule: ValueRule,
}

impl FieldRule {
    /// The property's wire name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the property must be present in full objects (create bodies, command DTOs).
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Whether `null` is accepted: the type is an `Option`, or the field is not required.
    pub fn accepts_null(&self) -> bool {
        self.rule.nullable || !self.required
    }

    /// Whether the field carries `x-secret`.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// Whether the field carries `x-delete` (dropped from input).
    pub fn is_deleted(&self) -> bool {
        self.delete
    }

    /// The longest JSON text accepted for the value (eicrud's `$MaxSize`),
    /// in UTF-16 code units; `None` when unlimited. Objects and arrays of
    /// objects have no limit unless `x-max-size` sets one: their fields are
    /// checked one by one instead.
    pub fn max_size(&self) -> Option<usize> {
        self.max_size
    }

    /// The most items accepted in the array (eicrud's `$MaxArLength`);
    /// `None` when unlimited or not an array.
    pub fn max_length(&self) -> Option<usize> {
        self.max_length
    }

    /// The index of the object type of the field, for objects and arrays of objects.
    pub(crate) fn nested(&self) -> Option<Nested> {
        match &self.rule.kind {
            Kind::Object(index) => Some(Nested::Object(*index)),
            Kind::Array(items) => match items.kind {
                Kind::Object(index) => Some(Nested::Array(index)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A field holding objects: one, or an array of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nested {
    Object(usize),
    Array(usize),
}

/// The compiled rules of an object type: its fields in declaration order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectRules {
    pub(crate) fields: Vec<FieldRule>,
    index: FastMap<String, usize>,
    /// Size limit of unknown keys.
    pub(crate) unknown_max_size: Option<usize>,
    /// Fields with transforms.
    pub(crate) transformed: Vec<usize>,
    /// Fields with `x-delete`.
    pub(crate) deleted: Vec<usize>,
    /// Fields holding objects.
    pub(crate) nested: Vec<usize>,
    /// Optional fields that do not accept `null` in their type: a `null`
    /// means absent in full objects.
    pub(crate) null_is_absent: Vec<usize>,
    /// Fields holding `date-time`s (or arrays of them), canonicalised.
    pub(crate) date_times: Vec<usize>,
}

impl ObjectRules {
    pub(crate) fn new(fields: Vec<FieldRule>, unknown_max_size: Option<usize>) -> Self {
        let mut rules = Self {
            fields,
            unknown_max_size,
            ..Self::default()
        };
        rules.reindex();
        rules
    }

    /// Rebuilds the index and the field lists after `fields` changed.
    pub(crate) fn reindex(&mut self) {
        self.index = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let pick = |keep: fn(&FieldRule) -> bool| -> Vec<usize> {
            (0..self.fields.len())
                .filter(|&i| keep(&self.fields[i]))
                .collect()
        };
        self.transformed = pick(|f| !f.transforms.is_empty());
        self.deleted = pick(|f| f.delete);
        self.nested = pick(|f| f.nested().is_some());
        self.null_is_absent = pick(|f| !f.required && !f.rule.nullable);
        self.date_times = pick(|f| f.rule.holds_date_times());
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FieldRule> {
        self.index.get(name).map(|&i| &self.fields[i])
    }

    /// Reports each failing property to `on_fail`: unknown keys first, in
    /// input order, then declared fields in declaration order, each with its
    /// first failing constraint. Stops when `on_fail` breaks.
    pub(crate) fn visit(
        &self,
        map: &mut Map<String, Value>,
        mode: Mode<'_>,
        objects: &[ObjectRules],
        on_fail: &mut dyn FnMut(&str, &'static str) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        for key in map.keys() {
            if !self.index.contains_key(key) {
                on_fail(key, WHITELIST)?;
            }
        }
        let list_field = mode.list_field();
        for field in &self.fields {
            let failure = match map.get_mut(&field.name) {
                None => (matches!(mode, Mode::Full) && field.required).then_some(field.rule.first),
                Some(Value::Null) => (!field.accepts_null()).then_some(field.rule.first),
                Some(Value::Array(items)) if list_field == Some(field.name.as_str()) => items
                    .iter_mut()
                    .filter_map(|item| field.rule.first_failure(item, objects))
                    .min(),
                Some(value) => field.rule.first_failure(value, objects),
            };
            if let Some(constraint) = failure {
                on_fail(&field.name, constraint.as_str())?;
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bound(value: i128) -> Option<Bound> {
        Some(Bound {
            value: Num::Int(value),
            exclusive: false,
            implied: false,
        })
    }

    fn check(rule: &ValueRule, mut value: Value) -> Option<&'static str> {
        rule.first_failure(&mut value, &[]).map(Constraint::as_str)
    }

    #[test]
    fn wrong_type_fails_first_constraint() {
        let mut rule = ValueRule::new(Kind::Integer);
        rule.max = bound(1_000_000);
        rule.min = bound(0);
        rule.finish();
        assert_eq!(check(&rule, json!("many")), Some("max"));
        assert_eq!(check(&rule, json!(2_000_000)), Some("max"));
        assert_eq!(check(&rule, json!(-1)), Some("min"));
        assert_eq!(check(&rule, json!(1.5)), Some("isInt"));
        assert_eq!(check(&rule, json!(7)), None);
    }

    #[test]
    fn implied_bounds_leave_wrong_types_to_the_type_check() {
        let mut rule = ValueRule::new(Kind::Integer);
        rule.min = Some(Bound {
            value: Num::Int(0),
            exclusive: false,
            implied: true,
        });
        rule.finish();
        assert_eq!(rule.first, Constraint::IsInt);
        assert_eq!(check(&rule, json!("x")), Some("isInt"));
        assert_eq!(check(&rule, json!(-3)), Some("min"));
    }

    #[test]
    fn exclusive_bounds() {
        let mut rule = ValueRule::new(Kind::Number);
        rule.max = Some(Bound {
            value: Num::Float(1.5),
            exclusive: true,
            implied: false,
        });
        rule.finish();
        assert_eq!(check(&rule, json!(1.5)), Some("max"));
        assert_eq!(check(&rule, json!(1)), None);
    }

    #[test]
    fn integers_with_zero_fraction_are_rewritten() {
        let rule = ValueRule::new(Kind::Integer);
        let mut value = json!(3.0);
        assert_eq!(rule.first_failure(&mut value, &[]), None);
        assert!(value.is_i64());
        let mut big = json!(1.0e19);
        assert_eq!(rule.first_failure(&mut big, &[]), None);
        assert!(big.is_u64());
    }

    #[test]
    fn lengths_count_utf16_units() {
        let mut rule = ValueRule::new(Kind::String);
        rule.max_length = Some(2);
        rule.finish();
        assert_eq!(check(&rule, json!("é")), None);
        assert_eq!(check(&rule, json!("😀x")), Some("maxLength"));
    }

    #[test]
    fn array_items_report_under_the_array() {
        let mut items = ValueRule::new(Kind::String);
        items.min_length = Some(2);
        items.finish();
        let mut rule = ValueRule::new(Kind::Array(Box::new(items)));
        rule.max_items = Some(2);
        rule.unique_items = true;
        rule.finish();
        assert_eq!(rule.first, Constraint::MinLength);
        assert_eq!(check(&rule, json!(["ab", "cd"])), None);
        assert_eq!(check(&rule, json!(["ab", "c"])), Some("minLength"));
        assert_eq!(check(&rule, json!(["ab", 3])), Some("minLength"));
        assert_eq!(
            check(&rule, json!(["ab", "cd", "ef"])),
            Some("arrayMaxSize")
        );
        assert_eq!(check(&rule, json!(["ab", "ab"])), Some("arrayUnique"));
        assert_eq!(check(&rule, json!("ab")), Some("minLength"));
    }

    #[test]
    fn any_of_passes_when_one_alternative_does() {
        let rule = ValueRule::new(Kind::AnyOf(
            vec![ValueRule::new(Kind::String), ValueRule::new(Kind::Integer)].into(),
        ));
        assert_eq!(check(&rule, json!("a")), None);
        assert_eq!(check(&rule, json!(2)), None);
        assert_eq!(check(&rule, json!(true)), Some("isString"));
    }

    #[test]
    fn allowed_values_and_nulls() {
        let mut rule = ValueRule::new(Kind::String);
        rule.allowed = Some(vec![json!("a"), json!("b")].into());
        rule.finish();
        assert_eq!(check(&rule, json!("c")), Some("isIn"));
        assert_eq!(check(&rule, json!(null)), Some("isIn"));
        rule.nullable = true;
        assert_eq!(check(&rule, json!(null)), None);
    }

    #[test]
    fn constraint_names_follow_class_validator() {
        assert_eq!(Constraint::NestedValidation.as_str(), "nestedValidation");
        assert_eq!(Constraint::IsDateString.as_str(), "isDateString");
        assert!(Constraint::Max < Constraint::Min && Constraint::IsIn < Constraint::IsString);
    }
}
