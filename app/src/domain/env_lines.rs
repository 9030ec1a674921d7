//! Environment variables written as `KEY=VALUE` lines (the value may contain `=`), and the
//! special keys job templates use.

/// Skip automatic right-sizing of tasks of this template.
pub const NO_RESOURCE_CHECK: &str = "NO_RESOURCE_CHECK";
/// Fixed CPU, memory and GPU for the task's own container (launcher templates).
pub const TASK_RESOURCE_CPU: &str = "TASK_RESOURCE_CPU";
pub const TASK_RESOURCE_MEMORY: &str = "TASK_RESOURCE_MEMORY";
pub const TASK_RESOURCE_GPU: &str = "TASK_RESOURCE_GPU";

/// Parses `KEY=VALUE` lines. Blank lines and `#` comments are skipped; errors name the line.
pub fn parse_env(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| format!("line {number}: expected KEY=VALUE"))?;
        let key = key.trim();
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        if !valid {
            return Err(format!("line {number}: '{key}' is not a variable name"));
        }
        if vars.iter().any(|(k, _)| k == key) {
            return Err(format!("line {number}: {key} is set twice"));
        }
        vars.push((key.to_owned(), value.trim().to_owned()));
    }
    Ok(vars)
}

/// The canonical text: one `KEY=VALUE` per line.
pub fn format_env(vars: &[(String, String)]) -> String {
    vars.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")
}

/// The value of `key`, if set.
pub fn env_value<'a>(vars: &'a [(String, String)], key: &str) -> Option<&'a str> {
    vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Whether tasks of a template with these variables are excluded from right-sizing
/// (`NO_RESOURCE_CHECK`, also spelled with dashes or in lower case).
pub fn skips_resource_check(vars: &[(String, String)]) -> bool {
    vars.iter().any(|(k, v)| k.to_ascii_uppercase().replace('-', "_") == NO_RESOURCE_CHECK && v != "false")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_values_and_specials() {
        let vars =
            parse_env("A=1\n\n# note\nURL=http://x/?a=b=c\nTASK_RESOURCE_CPU=4\nno-resource-check=true").unwrap();
        assert_eq!(env_value(&vars, "URL"), Some("http://x/?a=b=c"));
        assert_eq!(env_value(&vars, TASK_RESOURCE_CPU), Some("4"));
        assert!(skips_resource_check(&vars));
        assert_eq!(parse_env(&format_env(&vars)).unwrap(), vars);
        assert_eq!(parse_env("A=1\nnot a pair").unwrap_err(), "line 2: expected KEY=VALUE");
        assert!(parse_env("1A=x").is_err());
        assert!(parse_env("A=1\nA=2").unwrap_err().contains("twice"));
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,80}") {
            if let Ok(vars) = parse_env(&s) {
                prop_assert_eq!(parse_env(&format_env(&vars)).unwrap(), vars);
            }
        }
    }
}
