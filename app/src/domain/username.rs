//! The username rule: lowercase letters, digits and dashes, starting with a letter and not
//! ending with a dash. Usernames end up in Kubernetes labels and names, hence the rule and
//! the 63-character limit.

/// Longest allowed username (a Kubernetes label value).
pub const MAX_LEN: usize = 63;

/// Checks a username against the rule.
pub fn check_username(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    if bytes.len() < 2 {
        return Err("must be at least 2 characters".into());
    }
    if bytes.len() > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters"));
    }
    if !bytes[0].is_ascii_lowercase() {
        return Err("must start with a lowercase letter".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("may contain only lowercase letters, digits and '-', not {c:?}"));
    }
    if name.ends_with('-') {
        return Err("must not end with '-'".into());
    }
    Ok(())
}

/// Turns a name given by a single-sign-on system into a username: the local part of an
/// e-mail address, lowercased, `_` turned into `-`, dots dropped. The result is checked.
pub fn username_from_external(raw: &str) -> Result<String, String> {
    let local = raw.trim().split('@').next().unwrap_or_default();
    let name: String = local.to_lowercase().replace('_', "-").chars().filter(|c| *c != '.').collect();
    check_username(&name).map(|()| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_rejects() {
        for ok in ["ab", "admin", "data-sci-2", "a1"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "Admin", "1abc", "ab-", "a_b", "a.b", "ab cd", &"a".repeat(64)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn external_names_are_normalised() {
        assert_eq!(username_from_external("Jane.Doe@corp.example").as_deref(), Ok("janedoe"));
        assert_eq!(username_from_external("BOB_SMITH").as_deref(), Ok("bob-smith"));
        assert!(username_from_external("_x").is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_accepted_names_follow_the_rule(s in "\\PC{0,80}") {
            if check_username(&s).is_ok() {
                prop_assert!(s.len() >= 2 && s.len() <= MAX_LEN);
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!(!s.ends_with('-'));
            }
            let _ = username_from_external(&s);
        }

        #[test]
        fn generated_valid_names_pass(s in "[a-z][a-z0-9-]{0,40}[a-z0-9]") {
            prop_assert!(check_username(&s).is_ok());
        }
    }
}
