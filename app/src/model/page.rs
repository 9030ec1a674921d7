//! Paginated lists: every collection endpoint takes `?page=&page_size=` and returns a total.

use serde::{Deserialize, Serialize};

/// One page of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of rows matching the query over all pages.
    pub total: u64,
    /// 1-based page number.
    pub page: u32,
    pub page_size: u32,
}

/// Query parameters of a paginated list, as received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Rows per page, 1 to 200 (default 50).
    pub page_size: Option<u32>,
}
