//! The argument schema of a job template: groups of named arguments with types, choices,
//! ranges and defaults. It drives the task form in the editor and validates task arguments
//! on the server with the same code, so both sides agree on what is valid.
//!
//! Task arguments are JSON values because their shape is whatever the template declares.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::validation::FieldErrors;
use crate::model::FieldError;

/// The type of an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgType {
    Str,
    Text,
    Int,
    Float,
    Bool,
    /// One of `choices`.
    Enum,
    /// Several of `choices`.
    Multiple,
    /// A list of `item_type` values (or of objects shaped by `sub_args`).
    List,
    /// An object shaped by `sub_args`.
    Dict,
    /// Any JSON value.
    Json,
}

/// The element type of enum, multiple and list arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    #[default]
    Str,
    Int,
    Float,
    Dict,
}

/// One option of an enum or multiple argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub value: Value,
    #[serde(default)]
    pub label: String,
}

fn yes() -> bool {
    true
}

/// One argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArgSpec {
    /// The name passed to the program, often a flag such as `--epochs`.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ArgType,
    #[serde(default)]
    pub item_type: ItemType,
    #[serde(default)]
    pub label: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default)]
    pub placeholder: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub editable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_args: Vec<ArgSpec>,
}

impl ArgSpec {
    /// The template fixes this argument: users see it but its value is the template's.
    pub fn fixed(&self) -> bool {
        !self.editable && self.default.is_some()
    }
}

/// A titled group of arguments (display only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArgGroup {
    pub label: String,
    pub args: Vec<ArgSpec>,
}

/// The whole schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArgSchema {
    pub groups: Vec<ArgGroup>,
}

impl ArgSchema {
    pub fn args(&self) -> impl Iterator<Item = &ArgSpec> {
        self.groups.iter().flat_map(|g| g.args.iter())
    }

    /// Checks the schema itself: names unique and well-formed, choices where needed,
    /// sub-arguments for dicts, ranges ordered, defaults valid. Fields are named
    /// `<prefix>[group].args[i].<key>`.
    pub fn check(&self, prefix: &str) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let mut seen: Vec<&str> = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (i, spec) in group.args.iter().enumerate() {
                let at = format!("{prefix}[{g}].args[{i}]");
                if seen.contains(&spec.name.as_str()) {
                    errors.add(&format!("{at}.name"), format!("'{}' is declared twice", spec.name));
                }
                seen.push(&spec.name);
                check_spec(spec, &at, &mut errors);
            }
        }
        errors.finish()
    }

    /// Every argument's default, for a new task.
    pub fn defaults(&self) -> Map<String, Value> {
        self.args().filter_map(|s| s.default.clone().map(|d| (s.name.clone(), d))).collect()
    }

    /// Validates and coerces task arguments. Missing arguments take their default; required
    /// ones without a default are errors; arguments the schema does not declare are dropped.
    /// `values` with every argument the template fixes (not editable, with a default) set
    /// to the template's value, whatever was stored or sent.
    pub fn with_fixed(&self, values: &Map<String, Value>) -> Map<String, Value> {
        let mut out = values.clone();
        for spec in self.args().filter(|s| s.fixed()) {
            if let Some(default) = &spec.default {
                out.insert(spec.name.clone(), default.clone());
            }
        }
        out
    }

    pub fn validate(&self, values: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let out = validate_specs(self.args(), values, "", &mut errors);
        errors.finish().map(|()| out)
    }
}

fn check_spec(spec: &ArgSpec, at: &str, errors: &mut FieldErrors) {
    let name_ok = !spec.name.is_empty()
        && spec.name.len() <= 100
        && !spec.name.chars().any(|c| c.is_whitespace() || c.is_control() || c == '=');
    if !name_ok {
        errors.add(&format!("{at}.name"), "must be 1 to 100 characters without spaces or '='");
    }
    if matches!(spec.kind, ArgType::Enum | ArgType::Multiple) && spec.choices.is_empty() {
        errors.add(&format!("{at}.choices"), "enum and multiple arguments need choices");
    }
    let needs_sub = spec.kind == ArgType::Dict || (spec.kind == ArgType::List && spec.item_type == ItemType::Dict);
    if needs_sub && spec.sub_args.is_empty() {
        errors.add(&format!("{at}.sub_args"), "dict arguments (and lists of dicts) need sub_args");
    }
    if matches!(spec.kind, ArgType::Enum | ArgType::Multiple) && spec.item_type == ItemType::Dict {
        errors.add(&format!("{at}.item_type"), "choices cannot be dicts");
    }
    if let (Some(min), Some(max)) = (spec.min, spec.max)
        && min > max
    {
        errors.add(&format!("{at}.max"), "must not be below min");
    }
    for (c, choice) in spec.choices.iter().enumerate() {
        if coerce_item(&choice.value, spec.item_type).is_err() {
            errors.add(&format!("{at}.choices[{c}]"), format!("is not a {:?} value", spec.item_type).to_lowercase());
        }
    }
    for (s, sub) in spec.sub_args.iter().enumerate() {
        check_spec(sub, &format!("{at}.sub_args[{s}]"), errors);
    }
    if let Some(default) = &spec.default {
        let mut inner = FieldErrors::new();
        coerce(spec, default, "default", &mut inner);
        if !inner.is_empty() {
            errors.add(&format!("{at}.default"), "does not satisfy the argument's own rules");
        }
    }
}

fn validate_specs<'a>(
    specs: impl Iterator<Item = &'a ArgSpec>,
    values: &Map<String, Value>,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for spec in specs {
        let field = format!("{prefix}{}", spec.name);
        let given = values.get(&spec.name).filter(|v| !is_blank(v)).filter(|_| !spec.fixed());
        let value = match (given, &spec.default) {
            (Some(v), _) => v,
            (None, Some(d)) => d,
            (None, None) if spec.required && spec.kind != ArgType::Bool => {
                errors.add(&field, "is required");
                continue;
            }
            (None, None) => continue,
        };
        if let Some(v) = coerce(spec, value, &field, errors) {
            out.insert(spec.name.clone(), v);
        }
    }
    out
}

fn is_blank(v: &Value) -> bool {
    v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
}

fn in_range(spec: &ArgSpec, n: f64, field: &str, errors: &mut FieldErrors) -> bool {
    let below = spec.min.is_some_and(|min| n < min);
    let above = spec.max.is_some_and(|max| n > max);
    if below || above {
        let bound = |b: Option<f64>| b.map_or_else(|| "…".to_owned(), |x| x.to_string());
        errors.add(field, format!("must be between {} and {}", bound(spec.min), bound(spec.max)));
    }
    !(below || above)
}

fn coerce_item(value: &Value, item: ItemType) -> Result<Value, String> {
    match item {
        ItemType::Str => match value {
            Value::String(s) => Ok(Value::String(s.trim().to_owned())),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err("must be text".into()),
        },
        ItemType::Int => match value {
            Value::Number(n) if n.is_i64() => Ok(value.clone()),
            Value::String(s) => {
                s.trim().parse::<i64>().map(Value::from).map_err(|_| format!("'{s}' is not a whole number"))
            }
            _ => Err("must be a whole number".into()),
        },
        ItemType::Float => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            n.filter(|f| f.is_finite()).map(Value::from).ok_or_else(|| "must be a number".into())
        }
        ItemType::Dict => value.is_object().then(|| value.clone()).ok_or_else(|| "must be an object".into()),
    }
}

fn coerce(spec: &ArgSpec, value: &Value, field: &str, errors: &mut FieldErrors) -> Option<Value> {
    let fail = |errors: &mut FieldErrors, message: String| {
        errors.add(field, message);
        None
    };
    match spec.kind {
        ArgType::Str | ArgType::Text => match coerce_item(value, ItemType::Str) {
            Ok(v) => Some(v),
            Err(m) => fail(errors, m),
        },
        ArgType::Int | ArgType::Float => {
            let item = if spec.kind == ArgType::Int { ItemType::Int } else { ItemType::Float };
            match coerce_item(value, item) {
                Ok(v) => in_range(spec, v.as_f64().unwrap_or_default(), field, errors).then_some(v),
                Err(m) => fail(errors, m),
            }
        }
        ArgType::Bool => match value {
            Value::Bool(_) => Some(value.clone()),
            Value::String(s) if matches!(s.trim(), "true" | "1" | "yes") => Some(Value::Bool(true)),
            Value::String(s) if matches!(s.trim(), "false" | "0" | "no") => Some(Value::Bool(false)),
            _ => fail(errors, "must be true or false".into()),
        },
        ArgType::Enum => match coerce_item(value, spec.item_type) {
            Ok(v) if spec.choices.iter().any(|c| coerce_item(&c.value, spec.item_type).ok() == Some(v.clone())) => {
                Some(v)
            }
            Ok(v) => fail(errors, format!("{v} is not one of the choices")),
            Err(m) => fail(errors, m),
        },
        ArgType::Multiple | ArgType::List => {
            let items: Vec<Value> = match value {
                Value::Array(items) => items.clone(),
                Value::String(s) => s
                    .split([',', ';', '\n', '\t', ' '])
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| Value::String(p.trim().to_owned()))
                    .collect(),
                _ => return fail(errors, "must be a list".into()),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = format!("{field}[{i}]");
                if spec.item_type == ItemType::Dict {
                    let Some(obj) = item.as_object() else {
                        errors.add(&at, "must be an object");
                        continue;
                    };
                    out.push(Value::Object(validate_specs(spec.sub_args.iter(), obj, &format!("{at}."), errors)));
                    continue;
                }
                match coerce_item(item, spec.item_type) {
                    Ok(v)
                        if spec.kind == ArgType::Multiple
                            && !spec
                                .choices
                                .iter()
                                .any(|c| coerce_item(&c.value, spec.item_type).ok() == Some(v.clone())) =>
                    {
                        errors.add(&at, format!("{v} is not one of the choices"));
                    }
                    Ok(v) => out.push(v),
                    Err(m) => errors.add(&at, m),
                }
            }
            Some(Value::Array(out))
        }
        ArgType::Dict => match value.as_object() {
            Some(obj) => Some(Value::Object(validate_specs(spec.sub_args.iter(), obj, &format!("{field}."), errors))),
            None => fail(errors, "must be an object".into()),
        },
        ArgType::Json => match value {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v) => Some(v),
                Err(e) => fail(errors, format!("is not valid JSON: {e}")),
            },
            other => Some(other.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn schema() -> ArgSchema {
        serde_json::from_value(json!([
            {"label": "Training", "args": [
                {"name": "--epochs", "type": "int", "default": 10, "min": 1, "max": 1000},
                {"name": "--lr", "type": "float", "required": false},
                {"name": "--optimizer", "type": "enum", "choices": [{"value": "adam"}, {"value": "sgd"}], "default": "adam"},
                {"name": "--metrics", "type": "multiple", "required": false, "choices": [{"value": "acc"}, {"value": "auc"}]},
                {"name": "--shuffle", "type": "bool", "default": true},
                {"name": "--workdir", "type": "str", "default": "/mnt/{{creator}}/"},
                {"name": "--db", "type": "dict", "required": false, "sub_args": [
                    {"name": "host", "type": "str"}, {"name": "port", "type": "int", "default": 5432}
                ]}
            ]}
        ]))
        .unwrap()
    }

    #[test]
    fn a_good_schema_checks_and_gives_defaults() {
        let s = schema();
        s.check("args").unwrap();
        let d = s.defaults();
        assert_eq!(d["--epochs"], 10);
        assert_eq!(d["--workdir"], "/mnt/{{creator}}/");
        assert_eq!(s.validate(&d).unwrap().len(), 4);
    }

    #[test]
    fn values_are_coerced_and_unknown_keys_dropped() {
        let values = json!({"--epochs": "20", "--lr": "0.01", "--metrics": "acc, auc", "--shuffle": "false",
            "--db": {"host": " db "}, "--junk": 1});
        let out = schema().validate(values.as_object().unwrap()).unwrap();
        assert_eq!(out["--epochs"], 20);
        assert_eq!(out["--lr"], 0.01);
        assert_eq!(out["--metrics"], json!(["acc", "auc"]));
        assert_eq!(out["--shuffle"], false);
        assert_eq!(out["--db"], json!({"host": "db", "port": 5432}));
        assert!(!out.contains_key("--junk"));
        assert_eq!(out["--optimizer"], "adam");
    }

    #[test]
    fn arguments_the_template_fixes_keep_its_value() {
        let fixed: ArgSchema = serde_json::from_value(json!([{"label": "", "args": [
            {"name": "--image", "type": "str", "default": "registry/base:1", "editable": false},
            {"name": "--note", "type": "str", "required": false, "editable": false},
            {"name": "--epochs", "type": "int", "default": 10}
        ]}]))
        .unwrap();
        let sent = json!({"--image": "attacker/miner:latest", "--note": "mine", "--epochs": 3});
        let out = fixed.validate(sent.as_object().unwrap()).unwrap();
        assert_eq!(out["--image"], "registry/base:1", "a fixed argument keeps the template's value");
        assert_eq!(out["--note"], "mine", "without a default there is nothing to keep");
        assert_eq!(out["--epochs"], 3);
        let stored = fixed.with_fixed(sent.as_object().unwrap());
        assert_eq!(stored["--image"], "registry/base:1");
        assert_eq!(stored["--epochs"], 3);
    }

    #[test]
    fn errors_name_each_bad_argument() {
        let values =
            json!({"--epochs": 0, "--optimizer": "rmsprop", "--metrics": ["acc", "f1"], "--db": {"port": "x"}});
        let errors = schema().validate(values.as_object().unwrap()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["--epochs", "--optimizer", "--metrics[1]", "--db.host", "--db.port"]);
    }

    #[test]
    fn bad_schemas_are_refused_with_the_field() {
        let bad: ArgSchema = serde_json::from_value(json!([{"label": "g", "args": [
            {"name": "a", "type": "enum"},
            {"name": "a", "type": "dict"},
            {"name": "has space", "type": "int", "min": 5, "max": 1},
            {"name": "d", "type": "int", "default": "nope"}
        ]}]))
        .unwrap();
        let fields: Vec<String> = bad.check("args").unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "args[0].args[0].choices",
                "args[0].args[1].name",
                "args[0].args[1].sub_args",
                "args[0].args[2].name",
                "args[0].args[2].max",
                "args[0].args[3].default"
            ]
        );
        assert!(
            serde_json::from_value::<ArgSchema>(json!([{"label": "g", "args": [{"name": "x", "type": "file"}]}]))
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn validation_never_panics(v in proptest::collection::hash_map("--[a-z]{1,8}", "\\PC{0,12}", 0..6)) {
            let map: Map<String, Value> = v.into_iter().map(|(k, s)| (k, Value::String(s))).collect();
            let _ = schema().validate(&map);
        }
    }
}
