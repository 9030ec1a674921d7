//! Collecting per-field problems, so one response names every bad field at once.

use crate::model::FieldError;

/// Accumulates field errors while a request is checked.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `field`'s problem if `check` failed.
    pub fn check(&mut self, field: &str, check: Result<(), String>) {
        if let Err(message) = check {
            self.add(field, message);
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was recorded, else every problem.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
}

/// A plausible e-mail address: one `@`, something on both sides, no spaces, not too long.
pub fn check_email(email: &str) -> Result<(), String> {
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(()) } else { Err("must be an e-mail address like name@example.com".into()) }
}

/// A display name: at most 200 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<(), String> {
    if name.chars().count() > 200 {
        Err("must be at most 200 characters".into())
    } else if name.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("a@b.co").is_ok());
        for bad in ["", "a", "@b.co", "a@b", "a b@c.d", "a@@b.co", "a@.co", "a@b."] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collects_every_field() {
        let mut errors = FieldErrors::new();
        errors.check("a", Ok(()));
        errors.check("b", Err("bad".into()));
        errors.add("c", "worse");
        let got = errors.finish().unwrap_err();
        assert_eq!(got.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["b", "c"]);
    }
}
