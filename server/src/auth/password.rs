//! Argon2id password hashing. Hashing is deliberately slow (and takes 19 MiB), so it runs on
//! the blocking pool, never stalls the async workers, and at most [`AT_ONCE`] hashes run at
//! a time: further requests queue for up to [`QUEUE_WAIT`], then are turned away, so a flood
//! of sign-ins cannot exhaust the server's memory or threads.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes running at once.
pub const AT_ONCE: usize = 4;

/// How long a hash waits for its turn before it is turned away.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(AT_ONCE);

/// Too many hashes are waiting already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

async fn turn() -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    tokio::time::timeout(QUEUE_WAIT, TURNS.acquire()).await.map_err(|_| Busy)?.map_err(|_| Busy)
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, String> {
    let _turn = turn().await.map_err(|Busy| "the server is busy hashing passwords; try again".to_owned())?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool, Busy> {
    let _turn = turn().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false))
}

/// Spends the time of one hash, so that unknown and known usernames take equally long to
/// refuse.
pub async fn burn_time(password: String) -> Result<(), Busy> {
    let _turn = turn().await?;
    let _ = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|_| ())
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse".into(), h.clone()).await, Ok(true));
        assert_eq!(verify("wrong horse".into(), h).await, Ok(false));
        assert_eq!(verify("x".into(), "not a hash".into()).await, Ok(false));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_turns_sign_ins_away_instead_of_piling_them_up() {
        let held = TURNS.acquire_many(AT_ONCE as u32).await.expect("the semaphore is open");
        let waited = tokio::time::Instant::now();
        assert_eq!(verify("pw".into(), "not a hash".into()).await, Err(Busy));
        assert_eq!(burn_time("pw".into()).await, Err(Busy));
        assert!(waited.elapsed() >= QUEUE_WAIT, "it queued first");
        drop(held);
        assert_eq!(verify("pw".into(), "not a hash".into()).await, Ok(false), "and runs once there is room");
    }
}
