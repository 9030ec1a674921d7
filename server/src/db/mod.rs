//! The database: one pool per backend behind one type, migrations applied at start, and the
//! queries (one module per table family). Query code is written once and runs on SQLite and
//! PostgreSQL through [`with_tx!`] and [`transaction!`].

pub mod audit;
pub mod background_jobs;
pub mod housekeeping;
pub mod job_templates;
pub mod notifications;
pub mod permissions;
pub mod pipelines;
pub mod projects;
pub mod registry;
pub mod registry_syncs;
pub mod roles;
pub mod runs;
pub mod schedule_records;
pub mod schema;
pub mod sessions;
pub mod tasks;
pub mod tokens;
pub mod users;

use diesel::{Connection, SqliteConnection};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;
pub type PgConn = AsyncPgConnection;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Pragmas every SQLite connection gets: WAL so readers never block the writer, enforced
/// foreign keys, and a wait instead of an error when the database is briefly locked.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
}

impl DbError {
    /// Whether the database refused a row because a unique key already holds its value.
    pub fn is_unique_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        matches!(self, DbError::Query(Diesel::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
    }

    /// Whether the database refused a row because a row it refers to is gone.
    pub fn is_foreign_key_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        matches!(self, DbError::Query(Diesel::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)))
    }
}

/// Which database engine is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools. SQLite gets a single writer connection (writers never race for
/// the lock) next to several readers; PostgreSQL uses one pool for both.
#[derive(Clone)]
pub enum Db {
    Sqlite { read: Pool<SqliteConn>, write: Pool<SqliteConn> },
    Postgres(Pool<PgConn>),
}

/// A pooled connection of either backend (short-lived, on the stack: size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Conn {
    Sqlite(Object<SqliteConn>),
    Postgres(Object<PgConn>),
}

/// A borrowed connection of either backend; every query function takes one, so the same
/// function runs inside or outside a transaction.
pub enum Tx<'a> {
    Sqlite(&'a mut SqliteConn),
    Postgres(&'a mut PgConn),
}

impl Conn {
    /// Borrows the connection for queries.
    pub fn tx(&mut self) -> Tx<'_> {
        match self {
            Self::Sqlite(object) => Tx::Sqlite(object),
            Self::Postgres(object) => Tx::Postgres(object),
        }
    }
}

/// Runs `$body` with `$c` bound to the concrete connection behind `$tx` (a `&mut Tx`).
/// The body is written once and compiled for each backend.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(inner) => {
                let $c: &mut $crate::db::SqliteConn = &mut **inner;
                $body
            }
            $crate::db::Tx::Postgres(inner) => {
                let $c: &mut $crate::db::PgConn = &mut **inner;
                $body
            }
        }
    };
}

/// Runs `$body` in a database transaction on `$conn` (a `&mut Conn`), with `$tx` bound to
/// a `&mut Tx` of the transaction. The body returns a `Result` whose error converts from
/// `diesel::result::Error`; an `Err` rolls everything back.
#[macro_export]
macro_rules! transaction {
    ($conn:expr, |$tx:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite(object) => {
                diesel_async::AsyncConnection::transaction(&mut **object, async |c| {
                    let $tx = &mut $crate::db::Tx::Sqlite(c);
                    $body
                })
                .await
            }
            $crate::db::Conn::Postgres(object) => {
                diesel_async::AsyncConnection::transaction(&mut **object, async |c| {
                    let $tx = &mut $crate::db::Tx::Postgres(c);
                    $body
                })
                .await
            }
        }
    };
}

/// Runs `$body` (like [`transaction!`]) reading one moment of the database: a read-only
/// `REPEATABLE READ` transaction on PostgreSQL, whose default gives every statement a
/// snapshot of its own; a transaction on SQLite, where a WAL reader keeps the database as
/// of its first read.
#[macro_export]
macro_rules! snapshot {
    ($conn:expr, |$tx:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Postgres(object) => {
                object
                    .build_transaction()
                    .read_only()
                    .repeatable_read()
                    .run(async |c| {
                        let $tx = &mut $crate::db::Tx::Postgres(c);
                        $body
                    })
                    .await
            }
            sqlite => $crate::transaction!(sqlite, |$tx| $body),
        }
    };
}

/// Inserts many rows of an `Insertable` slice: row by row on SQLite (in-process calls on a
/// cached statement inside the transaction), in multi-row batches of 500 on PostgreSQL
/// (well under its bind-parameter limit).
#[macro_export]
macro_rules! insert_rows {
    ($tx:expr, $table:expr, $rows:expr) => {{
        match $tx {
            $crate::db::Tx::Sqlite(c) => {
                for row in $rows {
                    diesel::insert_into($table).values(row).execute(&mut **c).await?;
                }
            }
            $crate::db::Tx::Postgres(c) => {
                for chunk in $rows.chunks(500) {
                    diesel::insert_into($table).values(chunk).execute(&mut **c).await?;
                }
            }
        }
    }};
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on SQLite and PostgreSQL (whose `LIKE` differ in case).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A case-insensitive `LIKE` pattern (for use with `lower(column)` and `ESCAPE '\\'`)
/// matching `text` anywhere, with its wildcards taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The current time as stored (UTC, no zone).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A stored time as a UTC instant.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

impl Db {
    /// Opens the pools and applies pending migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy().into_owned();
                let migrate_path = path.clone();
                tokio::task::spawn_blocking(move || migrate_sqlite(&migrate_path))
                    .await
                    .map_err(|e| DbError::Migrate(e.to_string()))??;
                Ok(Self::Sqlite { read: sqlite_pool(&path, 4)?, write: sqlite_pool(&path, 1)? })
            }
            DatabaseUrl::Postgres(url) => {
                let migrate_url = url.clone();
                tokio::task::spawn_blocking(move || migrate_postgres(&migrate_url))
                    .await
                    .map_err(|e| DbError::Migrate(e.to_string()))??;
                let manager = AsyncDieselConnectionManager::<PgConn>::new(url.as_str());
                let pool = Pool::builder(manager).max_size(16).build().map_err(|e| DbError::Connect(e.to_string()))?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<Conn, DbError> {
        match self {
            Self::Sqlite { read, .. } => read.get().await.map(Conn::Sqlite),
            Self::Postgres(pool) => pool.get().await.map(Conn::Postgres),
        }
        .map_err(|e| DbError::Pool(e.to_string()))
    }

    /// A connection for writing (and reading what it writes).
    pub async fn write(&self) -> Result<Conn, DbError> {
        match self {
            Self::Sqlite { write, .. } => write.get().await.map(Conn::Sqlite),
            Self::Postgres(pool) => pool.get().await.map(Conn::Postgres),
        }
        .map_err(|e| DbError::Pool(e.to_string()))
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.read().await else {
            return false;
        };
        with_tx!(&mut conn.tx(), |c| c.batch_execute("SELECT 1").await.is_ok())
    }
}

fn sqlite_pool(path: &str, size: usize) -> Result<Pool<SqliteConn>, DbError> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            let mut conn = <SqliteConn as diesel_async::AsyncConnection>::establish(&url).await?;
            conn.batch_execute(SQLITE_PRAGMAS).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
    Pool::builder(manager).max_size(size).build().map_err(|e| DbError::Connect(e.to_string()))
}

fn migrate_sqlite(path: &str) -> Result<(), DbError> {
    let mut conn = SqliteConnection::establish(path).map_err(|e| DbError::Connect(e.to_string()))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)?;
    conn.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| DbError::Migrate(e.to_string()))?;
    Ok(())
}

fn migrate_postgres(url: &str) -> Result<(), DbError> {
    let mut conn = AsyncConnectionWrapper::<PgConn>::establish(url).map_err(|e| DbError::Connect(e.to_string()))?;
    conn.run_pending_migrations(POSTGRES_MIGRATIONS).map_err(|e| DbError::Migrate(e.to_string()))?;
    Ok(())
}
