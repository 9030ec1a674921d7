//! The password policy for local accounts.

/// Shortest accepted password.
pub const MIN_LEN: usize = 8;
/// Longest accepted password (bounds the hashing cost an attacker can cause).
pub const MAX_LEN: usize = 256;

/// Checks a new password for `username`.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        Err(format!("must be at least {MIN_LEN} characters"))
    } else if password.len() > MAX_LEN {
        Err(format!("must be at most {MAX_LEN} bytes"))
    } else if password.eq_ignore_ascii_case(username) {
        Err("must not be the username".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_password("correct horse", "bob").is_ok());
        assert!(check_password("short", "bob").is_err());
        assert!(check_password("alice-long", "Alice-Long").is_err());
        assert!(check_password(&"x".repeat(300), "bob").is_err());
    }
}
