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
    let empty = Vec::new();
    match (before, after) {
        (None, None) => {}
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => objects(path, a, b, out),
        (Some(Value::Object(a)), None) => objects(path, a, &Map::new(), out),
        (None, Some(Value::Object(b))) => objects(path, &Map::new(), b, out),
        (Some(Value::Array(_)) | None, Some(Value::Array(_)) | None) => {
            let a = before.and_then(Value::as_array).unwrap_or(&empty);
            let b = after.and_then(Value::as_array).unwrap_or(&empty);
            for i in 0..a.len().max(b.len()) {
                walk(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
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

/// A value as the log keeps it: redacted when any part of its name looks secret (a
/// password argument deep in a task list too), environment values of secret-looking keys
/// and credentials in URLs masked, cut when long.
fn shown(path: &str, value: &Value) -> Value {
    let parts: Vec<String> =
        path.split(['.', '[', ']']).filter(|p| !p.is_empty()).map(str::to_ascii_lowercase).collect();
    if parts.iter().any(|p| looks_secret(p)) {
        return REDACTED.into();
    }
    let name = parts.last().map(String::as_str).unwrap_or_default();
    let value = match value {
        Value::String(text) if name.ends_with("env") => Value::String(mask_url_credentials(&mask_env(text))),
        Value::String(text) => Value::String(mask_url_credentials(text)),
        Value::Object(_) | Value::Array(_) => Value::String("[…]".into()),
        other => other.clone(),
    };
    let text = value.to_string();
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        return Value::String(format!("{cut}… ({} characters)", text.chars().count()));
    }
    value
}

/// Whether a field or variable name looks like it holds a secret.
fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "passwd", "pass", "pwd", "secret", "token", "private", "credential", "cookie", "auth"]
        .iter()
        .any(|word| name.contains(word))
        || name.ends_with("key")
        || name.contains("api-key")
        || name.contains("api_key")
}

/// `scheme://user:password@host` with the user part masked.
fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// `KEY=value` lines with the values of secret-looking keys masked.
fn mask_env(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _)) if looks_secret(key) => {
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
        let grown = json!({"tasks": [{"name": "a", "args": {"--lr": 1}}, {"name": "b"}, {"name": "c"}]});
        assert_eq!(fields(&diff(Some(&before), Some(&grown))), ["tasks[2].name"]);
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
        let tasks = json!({"tasks": [{"args": {"--db-password": "hunter2", "--api-key": "k-123", "--url": "postgres://u:pw9@db/x", "--mirror": "https://u:p/w8@m/x"}}]});
        let text = serde_json::to_string(&diff(None, Some(&tasks))).unwrap();
        for secret in ["hunter2", "k-123", "pw9", "w8"] {
            assert!(!text.contains(secret), "{secret} leaked from a new list: {text}");
        }
        assert!(text.contains("postgres://[redacted]@db/x"), "{text}");
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
