//! The callers of recent requests, kept for a few seconds by the digest of their token or
//! session, so that a client's next requests are not authenticated against the database
//! again (the credential, the permissions and the roles: three queries each). Every write request this server
//! handles, and every sign-out, forgets them all, so a revocation, a sign-out, a
//! deactivation or a change of roles made here is honoured at once; one made through
//! another server sharing the database is honoured within [`LIFE`]. An entry never outlives
//! its credential.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Identity;

/// How long an identity is kept.
pub const LIFE: Duration = Duration::from_secs(5);
/// The most credentials kept at once.
const CAPACITY: usize = 10_000;

struct Entry {
    identity: Identity,
    until: Instant,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<String, Entry>,
    /// Counts the times everything was forgotten: a lookup that began before the last time
    /// may have read what is no longer true, and is not kept.
    generation: u64,
}

/// Identities of recent credentials.
#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<Entries>,
}

/// Where a lookup began, to keep its result only if nothing was forgotten since.
#[derive(Debug, Clone, Copy)]
pub struct Since(u64);

impl AuthCache {
    /// The identity kept for `key`, if still fresh; otherwise where a lookup begins.
    pub fn get(&self, key: &str) -> Result<Identity, Since> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match entries.by_key.get(key) {
            Some(entry) if entry.until > Instant::now() => Ok(entry.identity.clone()),
            _ => Err(Since(entries.generation)),
        }
    }

    /// Keeps `identity` for `key` for [`LIFE`], or until its credential expires if sooner,
    /// unless everything was forgotten since the lookup began.
    pub fn put(&self, key: String, identity: Identity, since: Since, expires_in: Option<Duration>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.generation != since.0 {
            return;
        }
        let now = Instant::now();
        if entries.by_key.len() >= CAPACITY {
            entries.by_key.retain(|_, entry| entry.until > now);
            if entries.by_key.len() >= CAPACITY {
                entries.by_key.clear();
            }
        }
        let until = now + expires_in.map_or(LIFE, |left| left.min(LIFE));
        entries.by_key.insert(key, Entry { identity, until });
    }

    /// Forgets every identity (something that decides who may do what may have changed).
    pub fn forget_all(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.by_key.clear();
        entries.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use app::model::UserId;

    use super::*;
    use crate::auth::AuthVia;

    fn someone() -> Identity {
        Identity {
            user_id: UserId(7),
            username: "kim".into(),
            permissions: HashSet::new(),
            via: AuthVia::ApiToken,
            is_admin: false,
        }
    }

    #[test]
    fn identities_are_kept_until_forgotten_or_their_credential_expires() {
        let cache = AuthCache::default();
        let since = cache.get("t:a").unwrap_err();
        cache.put("t:a".into(), someone(), since, None);
        assert_eq!(cache.get("t:a").unwrap().username, "kim");
        let since = cache.get("t:b").unwrap_err();
        cache.put("t:b".into(), someone(), since, Some(Duration::ZERO));
        assert!(cache.get("t:b").is_err(), "a credential that expires now is not kept");
        cache.forget_all();
        assert!(cache.get("t:a").is_err());
    }

    #[test]
    fn a_lookup_that_began_before_everything_was_forgotten_is_not_kept() {
        let cache = AuthCache::default();
        let since = cache.get("t:a").unwrap_err();
        cache.forget_all();
        cache.put("t:a".into(), someone(), since, None);
        assert!(cache.get("t:a").is_err(), "it may have read roles that changed meanwhile");
    }
}
