//! Reading the audit log.

use app::domain::pagination::PageRequest;
use app::model::{AuditEntry, AuditId, AuditOutcome, AuditQuery, Page, PageQuery};

use super::Result;
use crate::db::{self, Db, audit};

pub async fn list(db: &Db, query: AuditQuery) -> Result<Page<AuditEntry>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let outcome = query.outcome.map(AuditOutcome::as_str);
    let (rows, total) = audit::page(&mut db.read().await?.tx(), page, query.username.as_deref(), outcome).await?;
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: AuditId(r.id),
            at: db::utc(r.at),
            username: r.username,
            method: r.method,
            path: r.path,
            permission: r.permission,
            status: u16::try_from(r.status).unwrap_or(0),
            outcome: AuditOutcome::parse(&r.outcome).unwrap_or(AuditOutcome::Failure),
            duration_ms: u64::try_from(r.duration_ms).unwrap_or(0),
            client_ip: r.client_ip,
            changes: serde_json::from_str(&r.changes).unwrap_or_default(),
        })
        .collect();
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}
