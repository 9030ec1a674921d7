-- Categories (and later other projects) are listed by their expand index; a column keeps that sortable.
ALTER TABLE projects ADD COLUMN sort_index BIGINT NOT NULL DEFAULT 0;
CREATE INDEX projects_kind_order ON projects (kind, sort_index, name);
