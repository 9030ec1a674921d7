//! A task's command line: the program (task command, else template command, else the
//! image's entrypoint) and the flattened arguments. Arguments named like flags (`--epochs`)
//! are passed as `--epochs 3` (a true bool as the bare flag); other names are positional
//! (`script` of `bash -c` passes only its value). `images` and `workdir` are not passed:
//! they choose the image and the working directory.

use serde_json::{Map, Value};

use super::arg_schema::ArgSchema;

/// Argument names that steer the plan instead of being passed.
const STEERING: [&str; 2] = ["images", "workdir"];

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("true".into()),
        other => Some(other.to_string()),
    }
}

/// The task's arguments as argv entries, in schema order.
pub fn flatten_args(schema: &ArgSchema, values: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for spec in schema.args() {
        let name = spec.name.as_str();
        let Some(value) = values.get(name).filter(|_| !STEERING.contains(&name)) else { continue };
        let is_flag = name.starts_with('-');
        match (is_flag, value) {
            (true, Value::Bool(true)) => out.push(name.to_owned()),
            (_, value) => {
                if let Some(text) = as_text(value) {
                    if is_flag {
                        out.push(name.to_owned());
                    }
                    out.push(text);
                }
            }
        }
    }
    out
}

/// The program and its fixed arguments. A task command (several lines run one after the
/// other) runs through `sh -c`; template commands and entrypoints are split like a shell.
pub fn command_line(task: &str, template: &str, entrypoint: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = task.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if !lines.is_empty() {
        return Ok(vec!["sh".into(), "-c".into(), lines.join(" && ")]);
    }
    let chosen = if template.trim().is_empty() { entrypoint } else { template };
    shell_words::split(chosen).map_err(|e| format!("cannot split '{chosen}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ArgSchema {
        serde_json::from_value(serde_json::json!([{"label": "g", "args": [
            {"name": "script", "type": "text"},
            {"name": "--epochs", "type": "int"},
            {"name": "--fast", "type": "bool"},
            {"name": "--slow", "type": "bool"},
            {"name": "--conf", "type": "json"},
            {"name": "--empty", "type": "str", "required": false},
            {"name": "images", "type": "str"}
        ]}]))
        .unwrap()
    }

    #[test]
    fn flags_positionals_bools_and_json() {
        let values = serde_json::json!({
            "script": "echo hi", "--epochs": 3, "--fast": true, "--slow": false, "--conf": {"a": 1},
            "--empty": "", "images": "python:3.12"
        });
        let flat = flatten_args(&schema(), values.as_object().unwrap());
        assert_eq!(flat, ["echo hi", "--epochs", "3", "--fast", "--conf", "{\"a\":1}"]);
    }

    #[test]
    fn command_precedence() {
        assert_eq!(command_line("", "bash -c", "").unwrap(), ["bash", "-c"]);
        assert_eq!(command_line("", "", "python3 'my app.py'").unwrap(), ["python3", "my app.py"]);
        assert_eq!(command_line("cd /x\n\nmake", "bash -c", "").unwrap(), ["sh", "-c", "cd /x && make"]);
        assert!(command_line("", "python 'unbalanced", "").is_err());
        assert!(command_line("", "", "").unwrap().is_empty());
    }
}
