//! What a change changed, for the audit trail: the fields whose values differ between the
//! record before and after, with secrets redacted and long values cut, so the log says
//! "nickname: Ann → Annie" without ever holding a password or a token.

use serde_json::{Map, Value};

use crate::model::FieldChange;

/// Shown instead of a secret's value.
pub const REDACTED: &str = "[redacted]";
/// Longest value kept whole (characters of its JSON form).
pub const MAX_VALUE: usize = 500;
/// Most changes recorded for one request (the rest are summed up in one entry).
pub const MAX_CHANGES: usize = 100;

/// Fields every write changes by itself: noise in the log.
const IGNORED: [&str; 1] = ["updated_at"];

/// The fields that differ between `before` and `after` (either may be absent: a creation
/// or a deletion), nested fields named with dots and list items with `[i]`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    if out.len() > MAX_CHANGES {
        let more = out.len() - MAX_CHANGES + 1;
        out.truncate(MAX_CHANGES - 1);
        out.push(FieldChange {
            field: "…".into(),
            old: None,
            new: Some(Value::String(format!("{more} more changes"))),
        });
    }
    out
}

/// A change of a secret field whose values are never known to the log (a new password).
pub fn secret_changed(field: &str) -> FieldChange {
    FieldChange { field: field.into(), old: Some(REDACTED.into()), new: Some(REDACTED.into()) }
}

fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => objects(path, a, b, out),
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        (Some(a), Some(b)) if a == b => {}
        (None, None) => {}
        (Some(Value::Object(a)), None) => objects(path, a, &Map::new(), out),
        (None, Some(Value::Object(b))) => objects(path, &Map::new(), b, out),
        (a, b) => out.push(FieldChange {
            field: path.to_owned(),
            old: a.map(|v| shown(path, v)),
            new: b.map(|v| shown(path, v)),
        }),
    }
}

fn objects(path: &str, a: &Map<String, Value>, b: &Map<String, Value>, out: &mut Vec<FieldChange>) {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys.into_iter().filter(|k| !IGNORED.contains(&k.as_str())) {
        let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        let (x, y) = (a.get(key).filter(|v| !v.is_null()), b.get(key).filter(|v| !v.is_null()));
        walk(&field, x, y, out);
    }
}

/// A value as the log keeps it: redacted when secret, environment values of secret-looking
/// keys masked, cut when long.
fn shown(path: &str, value: &Value) -> Value {
    let name = path.rsplit(['.', ']']).next().unwrap_or(path).to_ascii_lowercase();
    if looks_secret(&name) {
        return REDACTED.into();
    }
    let value = match value {
        Value::String(text) if name.ends_with("env") => Value::String(mask_env(text)),
        other => other.clone(),
    };
    let text = value.to_string();
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        return Value::String(format!("{cut}… ({} characters)", text.chars().count()));
    }
    value
}

fn looks_secret(name: &str) -> bool {
    ["password", "secret", "token", "private_key", "credential"].iter().any(|word| name.contains(word))
}

/// `KEY=value` lines with the values of secret-looking keys masked.
fn mask_env(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _)) if looks_secret(&key.to_ascii_lowercase()) || key.to_ascii_lowercase().ends_with("key") => {
                format!("{key}={REDACTED}")
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(changes: &[FieldChange]) -> Vec<&str> {
        changes.iter().map(|c| c.field.as_str()).collect()
    }

    #[test]
    fn names_what_changed_with_old_and_new() {
        let before =
            json!({"nickname": "Ann", "email": null, "active": true, "expand": {"cluster": "local", "index": 1}});
        let after =
            json!({"nickname": "Annie", "email": "a@x.io", "active": true, "expand": {"cluster": "gpu", "index": 1}});
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(fields(&changes), ["email", "expand.cluster", "nickname"]);
        assert_eq!(changes[0].old, None);
        assert_eq!(changes[0].new, Some(json!("a@x.io")));
        assert_eq!(changes[2].old, Some(json!("Ann")));
        assert!(diff(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn lists_of_equal_length_are_compared_item_by_item() {
        let before = json!({"tasks": [{"name": "a", "args": {"--lr": 1}}, {"name": "b"}]});
        let after = json!({"tasks": [{"name": "a", "args": {"--lr": 2}}, {"name": "b"}]});
        assert_eq!(fields(&diff(Some(&before), Some(&after))), ["tasks[0].args.--lr"]);
        let grown = json!({"tasks": [{"name": "a"}, {"name": "b"}, {"name": "c"}]});
        assert_eq!(fields(&diff(Some(&before), Some(&grown))), ["tasks"]);
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let before = json!({"password": "old-secret", "env": "A=1\nAWS_SECRET_ACCESS_KEY=abc\nAPI_KEY=k"});
        let after = json!({"password": "new-secret", "env": "A=2\nAWS_SECRET_ACCESS_KEY=def\nAPI_KEY=k2"});
        let changes = diff(Some(&before), Some(&after));
        let text = serde_json::to_string(&changes).unwrap();
        for secret in ["old-secret", "new-secret", "abc", "def", "k2"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("A=2"), "{text}");
        assert_eq!(secret_changed("password").new, Some(json!(REDACTED)));
    }

    #[test]
    fn creations_list_every_field_and_long_values_are_cut() {
        let long = "x".repeat(MAX_VALUE * 2);
        let changes = diff(None, Some(&json!({"name": "n", "description": long})));
        assert_eq!(fields(&changes), ["description", "name"]);
        let kept = changes[0].new.as_ref().unwrap().as_str().unwrap();
        assert!(kept.len() < MAX_VALUE + 40 && kept.ends_with("characters)"), "{kept}");
        let many: Map<String, Value> = (0..300).map(|i| (format!("k{i:03}"), json!(i))).collect();
        let changes = diff(None, Some(&Value::Object(many)));
        assert_eq!(changes.len(), MAX_CHANGES);
        assert_eq!(changes.last().unwrap().new, Some(json!("201 more changes")));
    }
}
