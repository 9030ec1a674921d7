//! Safe templating of task fields: `{{creator}}`, `{{runner}}`, `{{run_id}}`,
//! `{{pipeline_id}}`, `{{pipeline_name}}`, `{{cluster_name}}`, `{{execution_date}}`, the
//! pipeline's global environment keys, and date arithmetic (`{{ execution_date |
//! add_days(-1) | date_format("%Y%m%d") }}`). minijinja is sandboxed (no I/O) and runs with a
//! fuel limit, so a template cannot loop forever; before it runs, a template's output is
//! bounded from its syntax tree ([`super::template_bound`]), so none can build a huge string.
//! Unknown variables render empty.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

/// The format of `execution_date` and of what `add_days` returns.
pub const DATE_TIME: &str = "%Y-%m-%d %H:%M:%S";
/// Work allowed per rendered field (instructions), against runaway loops.
const FUEL: u64 = 50_000;

fn parse_date(value: &str) -> Result<NaiveDateTime, Error> {
    NaiveDateTime::parse_from_str(value, DATE_TIME)
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            Error::new(ErrorKind::InvalidOperation, format!("'{value}' is not a date like 2026-01-31 08:00:00"))
        })
}

fn date_format(value: String, format: String) -> Result<String, Error> {
    let date = parse_date(&value)?;
    let items: Vec<chrono::format::Item<'_>> = chrono::format::StrftimeItems::new(&format).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("'{format}' is not a date format")));
    }
    Ok(date.format_with_items(items.into_iter()).to_string())
}

fn add_days(value: String, days: i64) -> Result<String, Error> {
    let date = parse_date(&value)?;
    let shifted = Duration::try_days(days)
        .and_then(|d| date.checked_add_signed(d))
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "date out of range"))?;
    Ok(shifted.format(DATE_TIME).to_string())
}

/// Renders task fields with the run's variables.
pub struct Renderer {
    env: Environment<'static>,
    vars: BTreeMap<String, Value>,
    lengths: BTreeMap<String, u64>,
}

impl Renderer {
    pub fn new(vars: BTreeMap<String, String>) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        env.set_fuel(Some(FUEL));
        env.add_filter("date_format", date_format);
        env.add_filter("add_days", add_days);
        let lengths = vars.iter().map(|(k, v)| (k.clone(), v.len() as u64)).collect();
        Self { env, vars: vars.into_iter().map(|(k, v)| (k, Value::from(v))).collect(), lengths }
    }

    /// The rendered text; text without `{{` or `{%` is returned as is.
    pub fn render(&self, text: &str) -> Result<String, String> {
        if !text.contains("{{") && !text.contains("{%") {
            return Ok(text.to_owned());
        }
        super::template_bound::check(text, &|name| self.lengths.get(name).copied().unwrap_or(0))?;
        self.env.render_str(text, &self.vars).map_err(|e| match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer() -> Renderer {
        Renderer::new(
            [("creator", "ann"), ("run_id", "abc123"), ("execution_date", "2026-03-01 04:05:06"), ("REGION", "eu")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    #[test]
    fn variables_and_dates() {
        let r = renderer();
        assert_eq!(r.render("/mnt/{{creator}}/{{ run_id }}").unwrap(), "/mnt/ann/abc123");
        assert_eq!(r.render("{{ execution_date | add_days(-1) | date_format('%Y%m%d') }}").unwrap(), "20260228");
        assert_eq!(r.render("{{ REGION }}-{{ unknown }}").unwrap(), "eu-");
        assert_eq!(r.render("echo $HOME ${PATH}").unwrap(), "echo $HOME ${PATH}");
    }

    #[test]
    fn bad_templates_are_errors_not_panics() {
        let r = renderer();
        assert!(r.render("{{ oops").is_err());
        assert!(r.render("{{ 'x' | date_format('%Y') }}").unwrap_err().contains("not a date"));
        assert!(r.render("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}").is_err());
        let doubling = format!("{{% set s = run_id %}}{}{{{{ s }}}}", "{% set s = s ~ s %}".repeat(64));
        assert!(r.render(&doubling).unwrap_err().contains("more than 256 KiB"));
    }
}
