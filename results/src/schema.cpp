// The schema of the results database, as append-only migrations keyed by PRAGMA user_version.
// docs/DATABASE.md documents it; change both together, and never edit a migration that has shipped:
// add the next one.
#include <string>
#include <vector>

#include "fufi/core/error.h"
#include "fufi/results/schema.h"

namespace fufi::results {

namespace {

// Config keys the views expose as columns; every other key stays queryable in job_config.
#define FUFI_CONFIG_COLUMN(key) "(SELECT value FROM job_config c WHERE c.job_id = j.job_id AND c.key = '" key "') AS " key

const char* const kVersion1 = R"SQL(
CREATE TABLE sweeps (
  sweep_id     INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  file         TEXT NOT NULL,
  file_sha256  TEXT NOT NULL,
  file_text    TEXT NOT NULL,
  data         TEXT NOT NULL,
  max_attempts INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE sweep_runs (
  run_id        INTEGER PRIMARY KEY,
  sweep_id      INTEGER NOT NULL REFERENCES sweeps(sweep_id),
  status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'stopped', 'interrupted')),
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  host          TEXT NOT NULL,
  world_size    INTEGER NOT NULL,
  ranks_per_job INTEGER NOT NULL,
  groups        INTEGER NOT NULL,
  fufi_version  TEXT NOT NULL,
  git_commit    TEXT NOT NULL,
  jobs_done     INTEGER NOT NULL DEFAULT 0,
  jobs_failed   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE jobs (
  job_id       TEXT PRIMARY KEY,
  group_id     TEXT NOT NULL,
  model        TEXT NOT NULL,
  task         TEXT NOT NULL,
  seed         INTEGER NOT NULL,
  data         TEXT NOT NULL,
  config       TEXT NOT NULL,
  run_dir      TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  failures     INTEGER NOT NULL DEFAULT 0,
  error_class  TEXT,
  error        TEXT,
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT,
  heartbeat_at TEXT,
  host         TEXT,
  rank_group   TEXT
);
CREATE INDEX jobs_by_status ON jobs(status);
CREATE INDEX jobs_by_group ON jobs(group_id);

CREATE TABLE job_config (
  job_id TEXT NOT NULL REFERENCES jobs(job_id),
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (job_id, key)
) WITHOUT ROWID;
CREATE INDEX job_config_by_key ON job_config(key, value);

CREATE TABLE sweep_jobs (
  sweep_id INTEGER NOT NULL REFERENCES sweeps(sweep_id),
  job_id   TEXT NOT NULL REFERENCES jobs(job_id),
  variant  TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, job_id)
) WITHOUT ROWID;
CREATE INDEX sweep_jobs_by_job ON sweep_jobs(job_id);

CREATE TABLE attempts (
  job_id      TEXT NOT NULL REFERENCES jobs(job_id),
  attempt     INTEGER NOT NULL,
  run_id      INTEGER REFERENCES sweep_runs(run_id),
  status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted', 'cancelled')),
  error_class TEXT,
  error       TEXT,
  host        TEXT,
  rank_group  TEXT,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;

CREATE TABLE epochs (
  job_id             TEXT NOT NULL REFERENCES jobs(job_id),
  epoch              INTEGER NOT NULL,
  attempt            INTEGER NOT NULL,
  train_loss         REAL,
  valid_mse          REAL,
  valid_rmse         REAL,
  valid_mae          REAL,
  valid_mape         REAL,
  lr                 REAL,
  seconds            REAL,
  samples_per_second REAL,
  best               INTEGER NOT NULL,
  PRIMARY KEY (job_id, epoch)
) WITHOUT ROWID;

CREATE TABLE results (
  job_id TEXT NOT NULL REFERENCES jobs(job_id),
  split  TEXT NOT NULL CHECK (split IN ('valid', 'test')),
  mse    REAL,
  rmse   REAL,
  mae    REAL,
  mape   REAL,
  PRIMARY KEY (job_id, split)
) WITHOUT ROWID;

CREATE TABLE provenance (
  job_id             TEXT PRIMARY KEY REFERENCES jobs(job_id),
  attempt            INTEGER NOT NULL,
  fufi_version       TEXT,
  git_commit         TEXT,
  torch_version      TEXT,
  cuda               TEXT,
  nccl               TEXT,
  mpi_library        TEXT,
  host               TEXT,
  device             TEXT,
  gpu                TEXT,
  ranks              INTEGER,
  rank_group         TEXT,
  parameters         INTEGER,
  epochs_run         INTEGER,
  best_epoch         INTEGER,
  early_stopped      INTEGER,
  mean_epoch_seconds REAL,
  wall_seconds       REAL,
  peak_memory_bytes  INTEGER,
  started_at         TEXT,
  finished_at        TEXT
);

-- One row per job and sweep it belongs to, with the config keys the paper's tables use as columns.
CREATE VIEW v_jobs AS
SELECT s.name AS sweep, sj.variant AS variant, j.job_id, j.model, j.task, j.seed,
       )SQL" FUFI_CONFIG_COLUMN("loss") ", " FUFI_CONFIG_COLUMN("channels") ", " FUFI_CONFIG_COLUMN("depth") ", "
    FUFI_CONFIG_COLUMN("epochs") ", " FUFI_CONFIG_COLUMN("lr") R"SQL(,
       j.status, j.attempts, j.failures,
       t.mse AS test_mse, t.rmse AS test_rmse, t.mae AS test_mae, t.mape AS test_mape,
       v.mse AS valid_mse, v.mae AS valid_mae, v.mape AS valid_mape,
       p.parameters, p.epochs_run, p.best_epoch, p.mean_epoch_seconds, p.wall_seconds, p.peak_memory_bytes,
       p.device, j.host, j.rank_group, j.error_class, j.error,
       j.started_at, j.finished_at, j.heartbeat_at, j.group_id, j.data, j.run_dir
FROM jobs j
LEFT JOIN sweep_jobs sj ON sj.job_id = j.job_id
LEFT JOIN sweeps s ON s.sweep_id = sj.sweep_id
LEFT JOIN results t ON t.job_id = j.job_id AND t.split = 'test'
LEFT JOIN results v ON v.job_id = j.job_id AND v.split = 'valid'
LEFT JOIN provenance p ON p.job_id = j.job_id;

-- Every attempt that did not end in success, newest last.
CREATE VIEW v_failures AS
SELECT s.name AS sweep, a.job_id, j.model, j.task, j.seed, a.attempt, a.status, a.error_class, a.error,
       a.host, a.rank_group, a.started_at, a.finished_at, j.status AS job_status, j.failures
FROM attempts a
JOIN jobs j ON j.job_id = a.job_id
LEFT JOIN sweep_jobs sj ON sj.job_id = a.job_id
LEFT JOIN sweeps s ON s.sweep_id = sj.sweep_id
WHERE a.status IN ('failed', 'interrupted', 'cancelled');

-- One row per configuration (every config key but the seed) and sweep variant: test metrics as
-- mean and sample standard deviation (n - 1) over the seeds that are done; n counts them.
CREATE VIEW v_summary AS
WITH done AS (SELECT * FROM v_jobs WHERE status = 'done'),
mean AS (
  SELECT sweep, variant, group_id, count(*) AS n, group_concat(seed, ' ') AS seeds,
         avg(test_mse) AS mse, avg(test_rmse) AS rmse, avg(test_mae) AS mae, avg(test_mape) AS mape,
         avg(parameters) AS parameters, avg(mean_epoch_seconds) AS epoch_seconds, avg(wall_seconds) AS wall_seconds
  FROM done GROUP BY sweep, variant, group_id),
spread AS (
  SELECT d.sweep, d.variant, d.group_id,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mse - m.mse) * (d.test_mse - m.mse)) / (count(*) - 1)) END AS mse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_rmse - m.rmse) * (d.test_rmse - m.rmse)) / (count(*) - 1)) END AS rmse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mae - m.mae) * (d.test_mae - m.mae)) / (count(*) - 1)) END AS mae,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mape - m.mape) * (d.test_mape - m.mape)) / (count(*) - 1)) END AS mape
  FROM done d JOIN mean m ON d.sweep IS m.sweep AND d.variant IS m.variant AND d.group_id = m.group_id
  GROUP BY d.sweep, d.variant, d.group_id),
config AS (
  SELECT sweep, variant, group_id, min(model) AS model, min(task) AS task, min(loss) AS loss,
         min(channels) AS channels, min(depth) AS depth, count(*) AS jobs, sum(status = 'failed') AS failed
  FROM v_jobs GROUP BY sweep, variant, group_id)
SELECT c.sweep, c.variant, c.model, c.task, c.loss, c.channels, c.depth,
       coalesce(m.n, 0) AS n, c.jobs, c.failed, m.seeds,
       m.mse AS mse_mean, s.mse AS mse_std, m.mae AS mae_mean, s.mae AS mae_std,
       m.mape AS mape_mean, s.mape AS mape_std, m.rmse AS rmse_mean, s.rmse AS rmse_std,
       m.parameters, m.epoch_seconds, m.wall_seconds, c.group_id
FROM config c
LEFT JOIN mean m ON m.sweep IS c.sweep AND m.variant IS c.variant AND m.group_id = c.group_id
LEFT JOIN spread s ON s.sweep IS c.sweep AND s.variant IS c.variant AND s.group_id = c.group_id;

CREATE VIEW v_epochs AS
SELECT e.job_id, j.model, j.task, j.seed, e.epoch, e.attempt, e.train_loss, e.valid_mse, e.valid_rmse,
       e.valid_mae, e.valid_mape, e.lr, e.seconds, e.samples_per_second, e.best
FROM epochs e JOIN jobs j ON j.job_id = e.job_id;

CREATE VIEW v_sweeps AS
SELECT s.name AS sweep, count(sj.job_id) AS jobs,
       coalesce(sum(j.status = 'pending'), 0) AS pending, coalesce(sum(j.status = 'running'), 0) AS running,
       coalesce(sum(j.status = 'done'), 0) AS done, coalesce(sum(j.status = 'failed'), 0) AS failed,
       s.description, s.file, s.data, s.updated_at
FROM sweeps s
LEFT JOIN sweep_jobs sj ON sj.sweep_id = s.sweep_id
LEFT JOIN jobs j ON j.job_id = sj.job_id
GROUP BY s.sweep_id;
)SQL";

#undef FUFI_CONFIG_COLUMN

// Version 2: the BLAS and malloc a job ran with (both change speed; the BLAS also changes the numbers).
const char* const kVersion2 = R"SQL(
ALTER TABLE provenance ADD COLUMN blas TEXT;
ALTER TABLE provenance ADD COLUMN malloc TEXT;
)SQL";

// Version 3: the memory format a job trained in and how it was chosen (channels_last=auto measures it per model,
// shape and CPU, issue #17): it changes speed, and the kernels, hence the last bits of the numbers.
const char* const kVersion3 = R"SQL(
ALTER TABLE provenance ADD COLUMN memory_format TEXT;
ALTER TABLE provenance ADD COLUMN memory_format_source TEXT;
)SQL";

// Version 4: jobs that belong to no sweep file any more and are not done (a configuration was removed, or
// another file took the sweep's name over with --replace-sweep): they never run again, and are listed here
// instead of staying pending silently (issue #20).
const char* const kVersion4 = R"SQL(
CREATE VIEW v_orphans AS
SELECT j.job_id, j.model, j.task, j.seed, j.status, j.attempts, j.failures, j.created_at, j.run_dir
FROM jobs j
WHERE j.status != 'done' AND j.job_id NOT IN (SELECT job_id FROM sweep_jobs);
)SQL";

// Version 5: v_summary without a per-job lookup of its config columns (issue #17: 100,000 jobs summarised in
// well under a second, against seconds before). loss, channels and depth are part of a configuration's
// identity (its group id hashes them), so every job of a group has the same value: they are read once per
// group, from its first job, instead of five job_config lookups per job, twice. The rows are the same.
const char* const kVersion5 = R"SQL(
DROP VIEW v_summary;
CREATE VIEW v_summary AS
WITH member AS (
  SELECT s.name AS sweep, sj.variant AS variant, j.job_id, j.group_id, j.model, j.task, j.seed, j.status
  FROM jobs j
  LEFT JOIN sweep_jobs sj ON sj.job_id = j.job_id
  LEFT JOIN sweeps s ON s.sweep_id = sj.sweep_id),
done AS (
  SELECT m.sweep, m.variant, m.group_id, m.seed,
         t.mse AS test_mse, t.rmse AS test_rmse, t.mae AS test_mae, t.mape AS test_mape,
         p.parameters, p.mean_epoch_seconds, p.wall_seconds
  FROM member m
  LEFT JOIN results t ON t.job_id = m.job_id AND t.split = 'test'
  LEFT JOIN provenance p ON p.job_id = m.job_id
  WHERE m.status = 'done'),
mean AS (
  SELECT sweep, variant, group_id, count(*) AS n, group_concat(seed, ' ') AS seeds,
         avg(test_mse) AS mse, avg(test_rmse) AS rmse, avg(test_mae) AS mae, avg(test_mape) AS mape,
         avg(parameters) AS parameters, avg(mean_epoch_seconds) AS epoch_seconds, avg(wall_seconds) AS wall_seconds
  FROM done GROUP BY sweep, variant, group_id),
spread AS (
  SELECT d.sweep, d.variant, d.group_id,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mse - m.mse) * (d.test_mse - m.mse)) / (count(*) - 1)) END AS mse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_rmse - m.rmse) * (d.test_rmse - m.rmse)) / (count(*) - 1)) END AS rmse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mae - m.mae) * (d.test_mae - m.mae)) / (count(*) - 1)) END AS mae,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mape - m.mape) * (d.test_mape - m.mape)) / (count(*) - 1)) END AS mape
  FROM done d JOIN mean m ON d.sweep IS m.sweep AND d.variant IS m.variant AND d.group_id = m.group_id
  GROUP BY d.sweep, d.variant, d.group_id),
config AS (
  SELECT sweep, variant, group_id, min(model) AS model, min(task) AS task, min(job_id) AS first_job,
         count(*) AS jobs, sum(status = 'failed') AS failed
  FROM member GROUP BY sweep, variant, group_id)
SELECT c.sweep, c.variant, c.model, c.task,
       (SELECT value FROM job_config k WHERE k.job_id = c.first_job AND k.key = 'loss') AS loss,
       (SELECT value FROM job_config k WHERE k.job_id = c.first_job AND k.key = 'channels') AS channels,
       (SELECT value FROM job_config k WHERE k.job_id = c.first_job AND k.key = 'depth') AS depth,
       coalesce(m.n, 0) AS n, c.jobs, c.failed, m.seeds,
       m.mse AS mse_mean, s.mse AS mse_std, m.mae AS mae_mean, s.mae AS mae_std,
       m.mape AS mape_mean, s.mape AS mape_std, m.rmse AS rmse_mean, s.rmse AS rmse_std,
       m.parameters, m.epoch_seconds, m.wall_seconds, c.group_id
FROM config c
LEFT JOIN mean m ON m.sweep IS c.sweep AND m.variant IS c.variant AND m.group_id = c.group_id
LEFT JOIN spread s ON s.sweep IS c.sweep AND s.variant IS c.variant AND s.group_id = c.group_id;
)SQL";

// Version 6: each configuration's resolved keys stored once, not once per job (issue #17: 100,000 jobs of one
// configuration wrote 3.1 million job_config rows, two thirds of the DB and half of the registration time). A
// config set is a job's resolved keys but its seed, with `task` and `data` (what job_config always held);
// `jobs.config_set` points at it. `job_config` becomes a view with the same rows as the table it replaces: the
// set's keys for each of its jobs, and each job's seed as its resolved configuration (`jobs.config`) spells it.
// Existing DBs keep every key: the sets are built from their job_config rows.
// A config key of the job `j` as a column, read from its config set.
#define FUFI_SET_COLUMN(key) \
  "(SELECT value FROM config_set_keys c WHERE c.config_set = j.config_set AND c.key = '" key "') AS " key

const char* const kVersion6 = R"SQL(
CREATE TABLE config_sets (
  config_set INTEGER PRIMARY KEY,
  keys       TEXT NOT NULL UNIQUE
);
CREATE TABLE config_set_keys (
  config_set INTEGER NOT NULL REFERENCES config_sets(config_set),
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (config_set, key)
) WITHOUT ROWID;
CREATE INDEX config_set_keys_by_key ON config_set_keys(key, value);
ALTER TABLE jobs ADD COLUMN config_set INTEGER REFERENCES config_sets(config_set);

-- Keyed by job id: the UPDATE below looks each job up in it (without the key, once per job over all jobs).
CREATE TEMP TABLE migrated_sets (job_id TEXT PRIMARY KEY, keys TEXT NOT NULL);
INSERT INTO migrated_sets (job_id, keys)
SELECT j.job_id,
       (SELECT json_group_object(key, value)
        FROM (SELECT key, value FROM job_config c WHERE c.job_id = j.job_id AND c.key != 'seed' ORDER BY key))
FROM jobs j;
INSERT OR IGNORE INTO config_sets (keys) SELECT keys FROM migrated_sets ORDER BY rowid;
UPDATE jobs SET config_set = (SELECT s.config_set FROM migrated_sets m JOIN config_sets s ON s.keys = m.keys
                              WHERE m.job_id = jobs.job_id);
INSERT INTO config_set_keys (config_set, key, value)
SELECT s.config_set, e.key, e.value FROM config_sets s, json_each(s.keys) e;
DROP TABLE migrated_sets;
CREATE INDEX jobs_by_config_set ON jobs(config_set);

DROP INDEX job_config_by_key;
DROP TABLE job_config;
CREATE VIEW job_config (job_id, key, value) AS
SELECT j.job_id, k.key, k.value FROM jobs j JOIN config_set_keys k ON k.config_set = j.config_set
UNION ALL
SELECT j.job_id, 'seed', json_extract(j.config, '$.seed') FROM jobs j WHERE json_extract(j.config, '$.seed') IS NOT NULL;

-- The views read their config columns from the job's set: SQLite does not push a correlated job_id into a UNION
-- ALL view, so a lookup through job_config would read the key of every job each time. Same rows as before.
DROP VIEW v_jobs;
CREATE VIEW v_jobs AS
SELECT s.name AS sweep, sj.variant AS variant, j.job_id, j.model, j.task, j.seed,
       )SQL" FUFI_SET_COLUMN("loss") ", " FUFI_SET_COLUMN("channels") ", " FUFI_SET_COLUMN("depth") ", "
    FUFI_SET_COLUMN("epochs") ", " FUFI_SET_COLUMN("lr") R"SQL(,
       j.status, j.attempts, j.failures,
       t.mse AS test_mse, t.rmse AS test_rmse, t.mae AS test_mae, t.mape AS test_mape,
       v.mse AS valid_mse, v.mae AS valid_mae, v.mape AS valid_mape,
       p.parameters, p.epochs_run, p.best_epoch, p.mean_epoch_seconds, p.wall_seconds, p.peak_memory_bytes,
       p.device, j.host, j.rank_group, j.error_class, j.error,
       j.started_at, j.finished_at, j.heartbeat_at, j.group_id, j.data, j.run_dir
FROM jobs j
LEFT JOIN sweep_jobs sj ON sj.job_id = j.job_id
LEFT JOIN sweeps s ON s.sweep_id = sj.sweep_id
LEFT JOIN results t ON t.job_id = j.job_id AND t.split = 'test'
LEFT JOIN results v ON v.job_id = j.job_id AND v.split = 'valid'
LEFT JOIN provenance p ON p.job_id = j.job_id;

-- v_summary as in version 5, its loss, channels and depth from the set of the configuration's first job.
DROP VIEW v_summary;
CREATE VIEW v_summary AS
WITH member AS (
  SELECT s.name AS sweep, sj.variant AS variant, j.job_id, j.group_id, j.model, j.task, j.seed, j.status
  FROM jobs j
  LEFT JOIN sweep_jobs sj ON sj.job_id = j.job_id
  LEFT JOIN sweeps s ON s.sweep_id = sj.sweep_id),
done AS (
  SELECT m.sweep, m.variant, m.group_id, m.seed,
         t.mse AS test_mse, t.rmse AS test_rmse, t.mae AS test_mae, t.mape AS test_mape,
         p.parameters, p.mean_epoch_seconds, p.wall_seconds
  FROM member m
  LEFT JOIN results t ON t.job_id = m.job_id AND t.split = 'test'
  LEFT JOIN provenance p ON p.job_id = m.job_id
  WHERE m.status = 'done'),
mean AS (
  SELECT sweep, variant, group_id, count(*) AS n, group_concat(seed, ' ') AS seeds,
         avg(test_mse) AS mse, avg(test_rmse) AS rmse, avg(test_mae) AS mae, avg(test_mape) AS mape,
         avg(parameters) AS parameters, avg(mean_epoch_seconds) AS epoch_seconds, avg(wall_seconds) AS wall_seconds
  FROM done GROUP BY sweep, variant, group_id),
spread AS (
  SELECT d.sweep, d.variant, d.group_id,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mse - m.mse) * (d.test_mse - m.mse)) / (count(*) - 1)) END AS mse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_rmse - m.rmse) * (d.test_rmse - m.rmse)) / (count(*) - 1)) END AS rmse,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mae - m.mae) * (d.test_mae - m.mae)) / (count(*) - 1)) END AS mae,
         CASE WHEN count(*) > 1 THEN sqrt(sum((d.test_mape - m.mape) * (d.test_mape - m.mape)) / (count(*) - 1)) END AS mape
  FROM done d JOIN mean m ON d.sweep IS m.sweep AND d.variant IS m.variant AND d.group_id = m.group_id
  GROUP BY d.sweep, d.variant, d.group_id),
config AS (
  SELECT sweep, variant, group_id, min(model) AS model, min(task) AS task, min(job_id) AS first_job,
         count(*) AS jobs, sum(status = 'failed') AS failed
  FROM member GROUP BY sweep, variant, group_id)
SELECT c.sweep, c.variant, c.model, c.task,
       (SELECT k.value FROM jobs f JOIN config_set_keys k ON k.config_set = f.config_set
        WHERE f.job_id = c.first_job AND k.key = 'loss') AS loss,
       (SELECT k.value FROM jobs f JOIN config_set_keys k ON k.config_set = f.config_set
        WHERE f.job_id = c.first_job AND k.key = 'channels') AS channels,
       (SELECT k.value FROM jobs f JOIN config_set_keys k ON k.config_set = f.config_set
        WHERE f.job_id = c.first_job AND k.key = 'depth') AS depth,
       coalesce(m.n, 0) AS n, c.jobs, c.failed, m.seeds,
       m.mse AS mse_mean, s.mse AS mse_std, m.mae AS mae_mean, s.mae AS mae_std,
       m.mape AS mape_mean, s.mape AS mape_std, m.rmse AS rmse_mean, s.rmse AS rmse_std,
       m.parameters, m.epoch_seconds, m.wall_seconds, c.group_id
FROM config c
LEFT JOIN mean m ON m.sweep IS c.sweep AND m.variant IS c.variant AND m.group_id = c.group_id
LEFT JOIN spread s ON s.sweep IS c.sweep AND s.variant IS c.variant AND s.group_id = c.group_id;
)SQL";

#undef FUFI_SET_COLUMN

const std::vector<const char*>& migrations() {
  static const std::vector<const char*> list{kVersion1, kVersion2, kVersion3, kVersion4, kVersion5, kVersion6};
  return list;
}

}  // namespace

int schema_version() { return static_cast<int>(migrations().size()); }

void check_schema_not_newer(Database& db) {
  const int version = db.user_version();
  FUFI_CHECK(version <= schema_version(), InputError,
             "{}: the database has schema version {}, newer than this fufi's {}; use a newer fufi", db.path(), version,
             schema_version());
}

void check_readable_schema(Database& db) {
  FUFI_CHECK(db.user_version() > 0, InputError, "{}: not a fufi results database (no schema version)", db.path());
  check_schema_not_newer(db);
}

void migrate(Database& db) { migrate(db, schema_version()); }

void migrate(Database& db, int target) {
  check_schema_not_newer(db);
  FUFI_CHECK(target >= 1 && target <= schema_version(), RuntimeError, "schema version {} does not exist (1 to {})",
             target, schema_version());
  const int current = db.user_version();
  if (current == 0) {
    // A fresh file has no tables; an SQLite file with tables but no version is someone else's database.
    const auto tables = db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
    FUFI_CHECK(tables == 0, InputError, "{}: an SQLite database that fufi did not create (no schema version)",
               db.path());
  }
  for (int version = current + 1; version <= target; ++version) {
    WriteTransaction transaction(db);
    // Another writer may have migrated between our read and our lock: re-read under the lock.
    if (db.user_version() >= version) continue;
    db.exec(migrations()[static_cast<std::size_t>(version - 1)]);
    db.exec("PRAGMA user_version = " + std::to_string(version));
    transaction.commit();
  }
}

}  // namespace fufi::results
