DROP INDEX projects_kind_order;
ALTER TABLE projects DROP COLUMN sort_index;
