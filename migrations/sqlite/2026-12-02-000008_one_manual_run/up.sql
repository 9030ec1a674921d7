-- At most one manual run of a pipeline is pending or running: two starts at the same
-- instant cannot both win. Runs left active by older versions keep only the newest; the
-- others end cancelled, with their unfinished tasks.
UPDATE run_tasks SET status = 'cancelled', message = 'cancelled: a newer manual run of its pipeline replaced it',
    finished_at = CURRENT_TIMESTAMP
WHERE status IN ('pending', 'running') AND run_pk IN (
    SELECT id FROM runs
    WHERE kind = 'manual' AND status IN ('pending', 'running')
      AND id NOT IN (
        SELECT newest FROM (
          SELECT MAX(id) AS newest FROM runs
          WHERE kind = 'manual' AND status IN ('pending', 'running')
          GROUP BY pipeline_id
        ) AS latest
      )
);
UPDATE runs SET status = 'cancelled', message = 'cancelled: a newer manual run of its pipeline replaced it',
    finished_at = CURRENT_TIMESTAMP
WHERE kind = 'manual' AND status IN ('pending', 'running')
  AND id NOT IN (
    SELECT newest FROM (
      SELECT MAX(id) AS newest FROM runs
      WHERE kind = 'manual' AND status IN ('pending', 'running')
      GROUP BY pipeline_id
    ) AS latest
  );
CREATE UNIQUE INDEX runs_one_active_manual ON runs (pipeline_id)
    WHERE kind = 'manual' AND status IN ('pending', 'running');
