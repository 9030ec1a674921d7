//! API tokens for programs: created by a user for themselves, shown once, stored hashed.

use app::domain::validation::{FieldErrors, check_display_name};
use app::model::{ApiToken, CreatedToken, NewToken, TokenId, UserId};
use chrono::Duration;

use super::{Error, Result};
use crate::auth::secret;
use crate::db::tokens::{NewTokenRow, TokenRow};
use crate::db::{self, Db, tokens};

/// Longest token lifetime, in days.
const MAX_DAYS: u32 = 3650;

fn to_token(row: TokenRow) -> ApiToken {
    ApiToken {
        id: TokenId(row.id),
        name: row.name,
        prefix: row.prefix,
        created_at: db::utc(row.created_at),
        last_used_at: row.last_used_at.map(db::utc),
        expires_at: row.expires_at.map(db::utc),
    }
}

pub async fn list(db: &Db, user: UserId) -> Result<Vec<ApiToken>> {
    let rows = tokens::of_user(&mut db.read().await?.tx(), user).await?;
    Ok(rows.into_iter().map(to_token).collect())
}

pub async fn create(db: &Db, user: UserId, input: NewToken) -> Result<CreatedToken> {
    let name = input.name.trim();
    let mut errors = FieldErrors::new();
    if name.is_empty() {
        errors.add("name", "is required");
    }
    errors.check("name", check_display_name(name));
    if let Some(days) = input.expires_in_days
        && (days == 0 || days > MAX_DAYS)
    {
        errors.add("expires_in_days", format!("must be between 1 and {MAX_DAYS}"));
    }
    errors.finish()?;
    let secret = secret::new_api_token();
    let now = db::now();
    let row = NewTokenRow {
        user_id: user.0,
        name,
        prefix: &secret[..secret::TOKEN_PREFIX.len() + 6],
        token_hash: &secret::digest(&secret),
        created_at: now,
        expires_at: input.expires_in_days.map(|d| now + Duration::days(i64::from(d))),
    };
    let stored = tokens::insert(&mut db.write().await?.tx(), &row).await?;
    Ok(CreatedToken { token: to_token(stored), secret })
}

pub async fn revoke(db: &Db, user: UserId, id: TokenId) -> Result<()> {
    if tokens::revoke(&mut db.write().await?.tx(), user, id, db::now()).await? {
        Ok(())
    } else {
        Err(Error::NotFound("token"))
    }
}
