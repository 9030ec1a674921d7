//! Turning `?page=&page_size=` into a checked offset and limit.

use super::validation::FieldErrors;
use crate::model::{FieldError, PageQuery};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    /// Checks the query: pages start at 1, sizes are 1 to `MAX_PAGE_SIZE`.
    pub fn from_query(q: PageQuery) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let page = q.page.unwrap_or(1);
        let page_size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            errors.add("page", "must be 1 or more");
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            errors.add("page_size", format!("must be between 1 and {MAX_PAGE_SIZE}"));
        }
        errors.finish().map(|()| Self { page, page_size })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.page_size)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let p = PageRequest::from_query(PageQuery::default()).unwrap();
        assert_eq!((p.page, p.page_size, p.offset()), (1, DEFAULT_PAGE_SIZE, 0));
        let p = PageRequest::from_query(PageQuery { page: Some(3), page_size: Some(10) }).unwrap();
        assert_eq!(p.offset(), 20);
        let errs = PageRequest::from_query(PageQuery { page: Some(0), page_size: Some(500) }).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[1].field, "page_size");
    }
}
