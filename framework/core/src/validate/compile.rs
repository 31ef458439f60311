//! Schema to rules: compiles a type's JSON Schema into [`ObjectRules`].
//!
//! Runs once at start. Every keyword is either understood, an annotation
//! (`description`, `default`, ...), one of ferrocrud's `x-` extensions
//! ([`ferrocrud_shared::schema::KNOWN`]), or refused: an unknown `x-` keyword
//! with [`SetupError::UnknownKeyword`] (a misspelt `x-secrets` would
//! otherwise send the field to clients), anything else with
//! [`SetupError::UnsupportedSchema`]. A rule the validator cannot check never
//! passes silently.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::rules::{FieldRule, Kind, ObjectRules, ValueRule};
use super::transform::Transform;
use crate::config::ValidationOptions;
use crate::error::SetupError;
use ferrocrud_shared::schema::{DELETE, KNOWN, MAX_LENGTH, MAX_SIZE, SECRET, TRANSFORM};

/// Keywords that only describe.
const ANNOTATIONS: [&str; 15] = [
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentEncoding",
    "contentMediaType",
];

/// How deep schemas may nest (through `$ref`s to non-objects, `anyOf`s, arrays).
const MAX_DEPTH: usize = 64;

/// The compiled type: its own rules and the table of object types it uses.
pub(crate) struct Compiled {
    pub(crate) root: ObjectRules,
    pub(crate) objects: Vec<ObjectRules>,
}

/// Compiles the schema of `type_name`.
pub(crate) fn compile(
    type_name: &str,
    schema: &Value,
    options: &ValidationOptions,
) -> Result<Compiled, SetupError> {
    let mut compiler = Compiler {
        type_name,
        root: schema,
        options,
        objects: Vec::new(),
        refs: HashMap::new(),
        depth: 0,
    };
    let Value::Object(map) = schema else {
        return Err(compiler.error("", "the schema is not an object schema"));
    };
    if !is_object_schema(map) {
        return Err(compiler.error("", "the schema is not an object schema"));
    }
    let root = compiler.object(map, "")?;
    Ok(Compiled {
        root,
        objects: compiler.objects,
    })
}

pub(super) fn is_annotation(keyword: &str) -> bool {
    ANNOTATIONS.contains(&keyword) || KNOWN.contains(&keyword)
}

fn is_object_schema(map: &Map<String, Value>) -> bool {
    map.contains_key("properties")
        || match map.get("type") {
            Some(Value::String(t)) => t == "object",
            Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
            _ => false,
        }
}

fn is_null_schema(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    let types_null = match map.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().all(|t| t == "null"),
        _ => false,
    };
    types_null
        || map.get("const") == Some(&Value::Null)
        || map.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

/// `b`'s keywords over `a`'s, without `drop`.
fn merge(a: &Map<String, Value>, b: &Map<String, Value>, drop: &str) -> Map<String, Value> {
    let mut merged = a.clone();
    merged.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged.remove(drop);
    merged
}

/// A size limit of `x-max-size` / `x-max-length`.
#[derive(Clone, Copy)]
enum Limit {
    Default,
    Disabled,
    Max(usize),
}

impl Limit {
    fn or_default(self, default: usize) -> Option<usize> {
        match self {
            Self::Default => (default > 0).then_some(default),
            Self::Disabled => None,
            Self::Max(n) => Some(n),
        }
    }

    fn explicit(self) -> Option<usize> {
        match self {
            Self::Max(n) => Some(n),
            _ => None,
        }
    }
}

pub(super) struct Compiler<'a> {
    type_name: &'a str,
    root: &'a Value,
    options: &'a ValidationOptions,
    objects: Vec<ObjectRules>,
    /// Object types compiled from a `$ref`, by reference.
    refs: HashMap<String, usize>,
    depth: usize,
}

impl<'a> Compiler<'a> {
    pub(super) fn error(&self, path: &str, reason: impl std::fmt::Display) -> SetupError {
        let reason = if path.is_empty() {
            reason.to_string()
        } else {
            format!("property `{path}`: {reason}")
        };
        SetupError::UnsupportedSchema {
            type_name: self.type_name.to_owned(),
            reason,
        }
    }

    /// Refuses an `x-` keyword of `map` that ferrocrud does not know.
    fn check_extensions(&self, map: &Map<String, Value>, path: &str) -> Result<(), SetupError> {
        let unknown = map
            .keys()
            .find(|k| k.starts_with("x-") && !KNOWN.contains(&k.as_str()));
        match unknown {
            Some(keyword) => Err(SetupError::UnknownKeyword {
                type_name: self.type_name.to_owned(),
                path: path.to_owned(),
                keyword: keyword.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The rules of an object schema with `properties`.
    fn object(&mut self, map: &Map<String, Value>, path: &str) -> Result<ObjectRules, SetupError> {
        self.check_extensions(map, path)?;
        let mut required: &[Value] = &[];
        let mut properties = None;
        for (keyword, value) in map {
            match (keyword.as_str(), value) {
                ("type" | "enum" | "const", _) => {}
                ("properties", Value::Object(p)) => properties = Some(p),
                ("required", Value::Array(r)) => required = r,
                ("additionalProperties", Value::Bool(false)) => {}
                ("additionalProperties" | "patternProperties" | "propertyNames", _) => {
                    return Err(self.error(
                        path,
                        "maps (additionalProperties, patternProperties) are not supported",
                    ));
                }
                (k, _) if is_annotation(k) => {}
                (k, _) => {
                    return Err(self.error(path, format!("unsupported keyword `{k}` on an object")));
                }
            }
        }
        let mut fields = Vec::new();
        for (name, schema) in properties.into_iter().flatten() {
            let field_path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let is_required = required.iter().any(|r| r == name.as_str());
            fields.push(self.field(name, schema, is_required, &field_path)?);
        }
        Ok(ObjectRules::new(fields, self.default_size()))
    }

    fn default_size(&self) -> Option<usize> {
        Limit::Default.or_default(self.options.default_max_size)
    }

    fn field(
        &mut self,
        name: &str,
        schema: &Value,
        required: bool,
        path: &str,
    ) -> Result<FieldRule, SetupError> {
        let rule = self.value(schema, path)?;
        let empty = Map::new();
        let ext = schema.as_object().unwrap_or(&empty);
        let max_size = self.limit(ext, MAX_SIZE, path)?;
        let max_length = self.limit(ext, MAX_LENGTH, path)?;
        let flag = |key: &str| match ext.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.error(path, format!("`{key}` must be a boolean"))),
        };
        let (delete, secret) = (flag(DELETE)?, flag(SECRET)?);
        let transforms = self.transforms(ext, &rule, path)?;
        let mut field = FieldRule {
            name: name.to_owned(),
            required,
            secret,
            delete,
            transforms,
            max_size: None,
            fallback_max_size: max_size.or_default(self.options.default_max_size),
            max_length: None,
            rule,
        };
        let nested = field.nested();
        field.max_size = match nested {
            Some(_) => max_size.explicit(),
            None => field.fallback_max_size,
        };
        field.max_length = match (&field.rule.kind, nested) {
            (Kind::Array(_), Some(_)) => max_length.or_default(self.options.default_max_ar_length),
            (Kind::Array(_), None) => max_length.explicit(),
            _ if matches!(max_length, Limit::Default) => None,
            _ => {
                return Err(self.error(
                    path,
                    format!("`{MAX_LENGTH}` on a field that is not an array"),
                ));
            }
        };
        Ok(field)
    }

    fn limit(&self, ext: &Map<String, Value>, key: &str, path: &str) -> Result<Limit, SetupError> {
        match ext.get(key).map(Value::as_i64) {
            None => Ok(Limit::Default),
            Some(Some(-1)) => Ok(Limit::Disabled),
            Some(Some(0)) => Ok(Limit::Default),
            Some(Some(n)) if n > 0 => Ok(Limit::Max(usize::try_from(n).unwrap_or(usize::MAX))),
            Some(_) => {
                Err(self.error(path, format!("`{key}` must be -1, 0 or a positive integer")))
            }
        }
    }

    fn transforms(
        &self,
        ext: &Map<String, Value>,
        rule: &ValueRule,
        path: &str,
    ) -> Result<Box<[Transform]>, SetupError> {
        let names: Vec<&Value> = match ext.get(TRANSFORM) {
            None => return Ok(Box::default()),
            Some(Value::Array(names)) => names.iter().collect(),
            Some(name) => vec![name],
        };
        let transforms = names
            .into_iter()
            .map(|name| name.as_str().and_then(Transform::parse))
            .collect::<Option<Box<[Transform]>>>()
            .ok_or_else(|| {
                let known = Transform::NAMES.join("\", \"");
                self.error(path, format!("`{TRANSFORM}` takes a list of \"{known}\""))
            })?;
        let holds_strings = |r: &ValueRule| matches!(r.kind, Kind::String | Kind::Any);
        let ok = match &rule.kind {
            Kind::Array(items) => holds_strings(items),
            Kind::AnyOf(alternatives) => alternatives.iter().any(holds_strings),
            _ => holds_strings(rule),
        };
        if !ok {
            return Err(self.error(
                path,
                format!("`{TRANSFORM}` on a field that holds no strings"),
            ));
        }
        Ok(transforms)
    }

    /// The rule of any schema.
    pub(super) fn value(&mut self, schema: &Value, path: &str) -> Result<ValueRule, SetupError> {
        match schema {
            Value::Bool(true) => Ok(ValueRule::new(Kind::Any)),
            Value::Object(map) => self.map(map, path),
            _ => Err(self.error(path, "a `false` or malformed schema accepts nothing")),
        }
    }

    fn map(&mut self, map: &Map<String, Value>, path: &str) -> Result<ValueRule, SetupError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(path, "the schema nests too deep (a `$ref` cycle?)"));
        }
        let rule = self.map_inner(map, path);
        self.depth -= 1;
        rule
    }

    fn map_inner(&mut self, map: &Map<String, Value>, path: &str) -> Result<ValueRule, SetupError> {
        self.check_extensions(map, path)?;
        let has_rules = |except: &[&str]| {
            map.keys()
                .any(|k| !is_annotation(k) && !except.contains(&k.as_str()))
        };
        if let Some(reference) = map.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or_else(|| self.error(path, "`$ref` is not a string"))?;
            let target = self.resolve(reference, path)?;
            if !has_rules(&["$ref"]) {
                return self.reference(reference, target, path);
            }
            match target {
                Value::Object(t) if !is_object_schema(t) => {
                    return self.map(&merge(t, map, "$ref"), path);
                }
                _ => {
                    return Err(self.error(
                        path,
                        "constraints next to a `$ref` to an object are not supported",
                    ));
                }
            }
        }
        if let Some(all) = map.get("allOf") {
            return match all.as_array().map(Vec::as_slice) {
                Some([Value::Object(only)]) => self.map(&merge(only, map, "allOf"), path),
                _ => Err(self.error(path, "`allOf` of several schemas is not supported")),
            };
        }
        let alternatives = match (map.get("anyOf"), map.get("oneOf")) {
            (Some(_), Some(_)) => {
                return Err(self.error(path, "`anyOf` with `oneOf` is not supported"));
            }
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        match alternatives {
            Some(Value::Array(alternatives)) => {
                let rest = has_rules(&["anyOf", "oneOf"]);
                self.alternatives(map, alternatives, rest, path)
            }
            Some(_) => Err(self.error(path, "`anyOf`/`oneOf` is not a list")),
            None => self.plain(map, path),
        }
    }

    /// A `$ref` with nothing but annotations next to it.
    fn reference(
        &mut self,
        reference: &str,
        target: &'a Value,
        path: &str,
    ) -> Result<ValueRule, SetupError> {
        let Value::Object(target) = target else {
            return self.value(target, path);
        };
        if !is_object_schema(target) {
            return self.map(target, path);
        }
        let index = match self.refs.get(reference) {
            Some(&index) => index,
            None => {
                let index = self.objects.len();
                self.objects.push(ObjectRules::default());
                self.refs.insert(reference.to_owned(), index);
                self.objects[index] = self.object(target, path)?;
                index
            }
        };
        let mut rule = ValueRule::new(Kind::Object(index));
        rule.nullable =
            matches!(target.get("type"), Some(Value::Array(t)) if t.iter().any(|t| t == "null"));
        Ok(rule)
    }

    fn resolve(&self, reference: &str, path: &str) -> Result<&'a Value, SetupError> {
        reference
            .strip_prefix('#')
            .and_then(|pointer| self.root.pointer(pointer))
            .ok_or_else(|| self.error(path, format!("cannot resolve `$ref` {reference}")))
    }

    fn alternatives(
        &mut self,
        map: &Map<String, Value>,
        alternatives: &[Value],
        rest: bool,
        path: &str,
    ) -> Result<ValueRule, SetupError> {
        let nullable = alternatives.iter().any(is_null_schema);
        let others: Vec<&Value> = alternatives.iter().filter(|a| !is_null_schema(a)).collect();
        let mut rule = match others.as_slice() {
            [] => return Err(self.error(path, "a schema that only accepts null is not supported")),
            [only] if !rest => self.value(only, path)?,
            [Value::Object(only)] => {
                let mut outer = map.clone();
                outer.remove("anyOf");
                outer.remove("oneOf");
                self.map(&merge(only, &outer, ""), path)?
            }
            [_] => return Err(self.error(path, "a malformed `anyOf`/`oneOf`")),
            _ if rest => {
                return Err(self.error(
                    path,
                    "constraints next to `anyOf`/`oneOf` of several schemas are not supported",
                ));
            }
            several => {
                let rules = several
                    .iter()
                    .map(|a| self.value(a, path))
                    .collect::<Result<Vec<_>, _>>()?;
                if rules.iter().any(ValueRule::holds_objects) {
                    return Err(self.error(
                        path,
                        "`anyOf`/`oneOf` over objects (enums with data) is not supported",
                    ));
                }
                join(rules)
            }
        };
        rule.nullable |= nullable;
        Ok(rule)
    }

    /// A schema without `$ref`, `anyOf`, `oneOf` or `allOf`.
    fn plain(&mut self, map: &Map<String, Value>, path: &str) -> Result<ValueRule, SetupError> {
        let mut nullable = false;
        let mut types: Vec<&str> = match map.get("type") {
            None => Vec::new(),
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(self.error(path, "`type` is not a string or a list")),
        };
        types.retain(|t| {
            let is_null = *t == "null";
            nullable |= is_null;
            !is_null
        });
        let mut allowed: Option<Vec<Value>> = None;
        match (map.get("enum"), map.get("const")) {
            (Some(_), Some(_)) => {
                return Err(self.error(path, "`enum` with `const` is not supported"));
            }
            (Some(Value::Array(values)), None) => allowed = Some(values.clone()),
            (Some(_), None) => return Err(self.error(path, "`enum` is not a list")),
            (None, Some(value)) => allowed = Some(vec![value.clone()]),
            (None, None) => {}
        }
        if let Some(values) = &mut allowed {
            values.retain(|v| {
                nullable |= v.is_null();
                !v.is_null()
            });
            if values.is_empty() {
                return Err(self.error(path, "a schema that only accepts null is not supported"));
            }
        }
        let kind = match types.as_slice() {
            [] if map.contains_key("properties") => "object",
            [] => "",
            [one] => one,
            several => {
                if map.keys().any(|k| !is_annotation(k) && k != "type") {
                    return Err(self.error(
                        path,
                        "constraints on a value of several types are not supported",
                    ));
                }
                let rules = several
                    .iter()
                    .map(|t| {
                        self.plain(
                            &Map::from_iter([("type".to_owned(), Value::from(*t))]),
                            path,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let mut rule = join(rules);
                rule.nullable = nullable;
                return Ok(rule);
            }
        };
        let mut rule = ValueRule::new(match kind {
            "" => Kind::Any,
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "array" => Kind::Array(Box::new(ValueRule::new(Kind::Any))),
            "object" => {
                let object = self.object(map, path)?;
                self.objects.push(object);
                Kind::Object(self.objects.len() - 1)
            }
            other => return Err(self.error(path, format!("type `{other}` is not supported"))),
        });
        rule.nullable = nullable;
        rule.allowed = allowed.map(Vec::into_boxed_slice);
        for (keyword, value) in map {
            self.keyword(&mut rule, kind, keyword, value, path)?;
        }
        rule.finish();
        Ok(rule)
    }
}

/// One rule for several alternatives: one list of allowed values when they
/// are all plain lists of one kind (documented enum variants), else `anyOf`.
fn join(rules: Vec<ValueRule>) -> ValueRule {
    let same_kind = |a: &ValueRule, b: &ValueRule| {
        std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
    };
    let plain_lists = !rules.is_empty()
        && rules.iter().all(ValueRule::is_plain_list)
        && rules.windows(2).all(|w| same_kind(&w[0], &w[1]));
    if plain_lists {
        let mut rules = rules.into_iter();
        let mut joined = rules.next().unwrap_or_else(|| ValueRule::new(Kind::Any));
        let mut values = joined.allowed.take().map(Vec::from).unwrap_or_default();
        for rule in rules {
            joined.nullable |= rule.nullable;
            values.extend(rule.allowed.into_iter().flatten());
        }
        joined.allowed = Some(values.into_boxed_slice());
        joined.finish();
        return joined;
    }
    let nullable = rules.iter().any(|r| r.nullable);
    let mut rule = ValueRule::new(Kind::AnyOf(rules.into_boxed_slice()));
    rule.nullable = nullable;
    rule
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use schemars::{JsonSchema, json_schema, schema_for};
    use serde::Deserialize;

    use super::*;
    use crate::validate::Validator;
    use crate::validate::rules::{Bound, Num};

    fn reason<T: JsonSchema>() -> String {
        match Validator::for_type::<T>("T", &ValidationOptions::default()) {
            Err(SetupError::UnsupportedSchema { type_name, reason }) => {
                assert_eq!(type_name, "T");
                reason
            }
            other => panic!("expected UnsupportedSchema, got {other:?}"),
        }
    }

    fn schema_reason(schema: &schemars::Schema) -> String {
        match Validator::from_schema("T", schema, &ValidationOptions::default()) {
            Err(SetupError::UnsupportedSchema { reason, .. }) => reason,
            other => panic!("expected UnsupportedSchema, got {other:?}"),
        }
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct WithMap {
        counts: HashMap<String, i64>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    enum Shape {
        Circle { radius: f64 },
        Square(f64),
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct WithEnum {
        shape: Shape,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct WithTuple {
        pair: (i32, String),
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct BadTransform {
        #[schemars(extend("x-transform" = ["capitalize"]))]
        name: String,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct TransformOnNumber {
        #[schemars(extend("x-transform" = ["trim"]))]
        count: i64,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct LengthOnText {
        #[schemars(extend("x-max-length" = 3))]
        name: String,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct BadSize {
        #[schemars(extend("x-max-size" = "big"))]
        name: String,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct LookAround {
        #[schemars(regex(pattern = r"^(?=a)a+$"))]
        name: String,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)] // only the schema is used
    struct Pattern {
        #[schemars(regex(pattern = r"^[a-z]+$"))]
        slug: String,
    }

    #[test]
    fn refuses_maps() {
        assert!(reason::<WithMap>().contains("property `counts`: maps"));
    }

    #[test]
    fn refuses_enums_with_data() {
        assert!(reason::<WithEnum>().contains("property `shape`"));
    }

    #[test]
    fn refuses_tuples() {
        assert!(reason::<WithTuple>().contains("tuples"));
    }

    #[test]
    fn refuses_malformed_extensions() {
        assert!(reason::<BadTransform>().contains("x-transform"));
        assert!(reason::<TransformOnNumber>().contains("holds no strings"));
        assert!(reason::<LengthOnText>().contains("not an array"));
        assert!(reason::<BadSize>().contains("x-max-size"));
    }

    /// A field whose secret flag is misspelt.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct MisspeltSecret {
        #[schemars(extend("x-secrets" = true))]
        password: String,
    }

    /// An optional field (`anyOf` or a type list) with an unknown keyword.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct MisspeltOnOption {
        #[schemars(extend("x-maxsize" = 10))]
        bio: Option<String>,
    }

    /// A nested object (a `$ref` with the keyword next to it).
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct MisspeltOnReference {
        #[schemars(extend("x-delet" = true))]
        inner: Pattern,
    }

    /// Every keyword ferrocrud knows, `x-managed` included.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct KnownExtensions {
        #[schemars(extend("x-secret" = true, "x-managed" = true, "x-delete" = false))]
        #[schemars(extend("x-max-size" = 10, "x-transform" = ["trim"]))]
        name: String,
        #[schemars(extend("x-max-length" = 3))]
        tags: Vec<String>,
    }

    fn unknown_keyword<T: JsonSchema>() -> SetupError {
        match Validator::for_type::<T>("Account", &ValidationOptions::default()) {
            Err(err) => err,
            Ok(_) => panic!("{} compiled", std::any::type_name::<T>()),
        }
    }

    #[test]
    fn refuses_unknown_extension_keywords_naming_them() {
        let err = unknown_keyword::<MisspeltSecret>();
        assert_eq!(
            err,
            SetupError::UnknownKeyword {
                type_name: "Account".into(),
                path: "password".into(),
                keyword: "x-secrets".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "type Account: unknown schema keyword `x-secrets` on property `password` \
             (known: x-max-size, x-max-length, x-transform, x-delete, x-secret, x-managed, x-explicit)"
        );
        assert!(matches!(
            unknown_keyword::<MisspeltOnOption>(),
            SetupError::UnknownKeyword { keyword, .. } if keyword == "x-maxsize"
        ));
        assert!(matches!(
            unknown_keyword::<MisspeltOnReference>(),
            SetupError::UnknownKeyword { keyword, path, .. } if keyword == "x-delet" && path == "inner"
        ));
        let on_type = json_schema!({
            "type": "object",
            "x-internal": true,
            "properties": { "n": { "type": "integer" } }
        });
        let err = Validator::from_schema("Thing", &on_type, &ValidationOptions::default())
            .expect_err("unknown keyword on the type");
        assert_eq!(
            err.to_string(),
            "type Thing: unknown schema keyword `x-internal` on the type \
             (known: x-max-size, x-max-length, x-transform, x-delete, x-secret, x-managed, x-explicit)"
        );
    }

    #[test]
    fn accepts_every_known_extension_keyword() {
        Validator::for_type::<KnownExtensions>("Known", &ValidationOptions::default())
            .expect("every keyword is known");
    }

    #[test]
    fn refuses_patterns_the_regex_crate_cannot_run() {
        assert!(reason::<LookAround>().contains("pattern"));
        let v = Validator::for_type::<Pattern>("Pattern", &ValidationOptions::default())
            .expect("supported");
        let mut ok = serde_json::json!({"slug": "abc"});
        let object = ok.as_object_mut().expect("object");
        assert!(
            v.validate(
                object,
                crate::validate::Mode::Full,
                crate::error::Target::Data
            )
            .is_ok()
        );
        let mut bad = serde_json::json!({"slug": "a-b"});
        let object = bad.as_object_mut().expect("object");
        let err = v
            .validate(
                object,
                crate::validate::Mode::Full,
                crate::error::Target::Data,
            )
            .expect_err("does not match");
        assert!(
            err.to_string()
                .contains("property slug has failed the following constraints: matches")
        );
    }

    #[test]
    fn refuses_non_objects_and_unknown_keywords() {
        assert!(reason::<String>().contains("not an object schema"));
        let multiple = json_schema!({
            "type": "object",
            "properties": { "n": { "type": "integer", "multipleOf": 2 } }
        });
        assert!(schema_reason(&multiple).contains("`multipleOf`"));
        let not = json_schema!({
            "type": "object",
            "properties": { "n": { "not": { "type": "integer" } } }
        });
        assert!(schema_reason(&not).contains("`not` without a `type`"));
        let never = json_schema!({ "type": "object", "properties": { "n": false } });
        assert!(schema_reason(&never).contains("accepts nothing"));
        let all_of = json_schema!({
            "type": "object",
            "properties": { "n": { "allOf": [{ "type": "string" }, { "minLength": 2 }] } }
        });
        assert!(schema_reason(&all_of).contains("allOf"));
    }

    #[test]
    fn refuses_reference_cycles_without_objects() {
        let cycle = json_schema!({
            "type": "object",
            "properties": { "n": { "$ref": "#/$defs/A" } },
            "$defs": { "A": { "$ref": "#/$defs/A" } }
        });
        assert!(schema_reason(&cycle).contains("too deep"));
        let dangling = json_schema!({
            "type": "object",
            "properties": { "n": { "$ref": "#/$defs/Missing" } }
        });
        assert!(schema_reason(&dangling).contains("cannot resolve"));
    }

    #[test]
    fn accepts_documented_enum_variants_as_one_list() {
        let schema = json_schema!({
            "type": "object",
            "properties": {
                "kind": { "oneOf": [
                    { "description": "first", "type": "string", "const": "a" },
                    { "description": "second", "type": "string", "const": "b" }
                ] }
            },
            "required": ["kind"]
        });
        let v =
            Validator::from_schema("T", &schema, &ValidationOptions::default()).expect("supported");
        let rule = &v.field("kind").expect("a field").rule;
        assert_eq!(
            rule.allowed.as_deref(),
            Some(&[serde_json::json!("a"), serde_json::json!("b")][..])
        );
        assert_eq!(rule.first.as_str(), "isIn");
    }

    #[test]
    fn integer_formats_bound_values() {
        let schema = schema_for!(u8);
        let mut compiler = Compiler {
            type_name: "T",
            root: schema.as_value(),
            options: &ValidationOptions::default(),
            objects: Vec::new(),
            refs: HashMap::new(),
            depth: 0,
        };
        let rule = compiler.value(schema.as_value(), "n").expect("supported");
        assert!(rule.min.is_some_and(|b| b.implied) && rule.max.is_some_and(|b| b.implied));
        assert_eq!(rule.first.as_str(), "isInt");
        let int32 = json_schema!({ "type": "integer", "format": "int32", "minimum": 5 });
        let rule = compiler.value(int32.as_value(), "n").expect("supported");
        assert_eq!(
            rule.min,
            Some(Bound {
                value: Num::Int(5),
                exclusive: false,
                implied: false
            })
        );
        assert_eq!(rule.max.map(|b| b.value), Some(Num::Int(i32::MAX.into())));
        assert_eq!(rule.first.as_str(), "min");
    }
}
