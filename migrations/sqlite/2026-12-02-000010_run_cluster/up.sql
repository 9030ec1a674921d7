-- Where each run runs: `local` (the server's own engine) or a configured cluster, and in
-- which namespace there.
ALTER TABLE runs ADD COLUMN cluster TEXT NOT NULL DEFAULT 'local';
ALTER TABLE runs ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
