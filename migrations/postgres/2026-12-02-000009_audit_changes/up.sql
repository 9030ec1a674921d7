-- What each audited write changed: a JSON list of {field, old, new}, secrets redacted.
ALTER TABLE audit_log ADD COLUMN changes TEXT NOT NULL DEFAULT '[]';
