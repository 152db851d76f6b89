/**
 * The embedded event store's schema and its migrations. A database records every migration it
 * went through in `schema_version`; opening applies the missing ones in order, and refuses a
 * database written by a newer agent.
 *
 * `events.seq` is an explicit INTEGER PRIMARY KEY because the full-text index is keyed by rowid,
 * and VACUUM may renumber the implicit rowid of a table without one. The event `id` is UNIQUE
 * so a resent event is ignored (INSERT OR IGNORE).
 */
import type { Database } from 'better-sqlite3'

const MIGRATIONS: readonly string[] = [
  // 1: events, their time and kind indexes, and a full-text index over each event's strings.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     ts TEXT NOT NULL,
     ts_ms INTEGER NOT NULL,
     kind TEXT NOT NULL,
     source TEXT NOT NULL,
     service TEXT,
     container TEXT,
     json TEXT NOT NULL
   );
   CREATE INDEX events_ts_ms ON events (ts_ms);
   CREATE INDEX events_kind ON events (kind, ts_ms);
   -- Contentless: the text is only indexed, events.json holds the data. contentless_delete lets
   -- retention remove rows later.
   CREATE VIRTUAL TABLE events_fts USING fts5 (text, content = '', contentless_delete = 1);`,
  // 2: the console's alert list (one row per alert event, kept by triggers, with the fields it
  // filters on and its triage state) and the decisions taken on alerts.
  `CREATE TABLE alerts (
     seq INTEGER PRIMARY KEY,
     ts_ms INTEGER NOT NULL,
     rule TEXT NOT NULL,
     priority TEXT NOT NULL,
     container TEXT,
     task TEXT,
     service TEXT,
     count INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'new'
   );
   CREATE INDEX alerts_ts ON alerts (ts_ms);
   CREATE INDEX alerts_state ON alerts (state, ts_ms);
   CREATE INDEX alerts_rule ON alerts (rule, ts_ms);
   CREATE INDEX alerts_priority ON alerts (priority, ts_ms);
   CREATE INDEX alerts_container ON alerts (container, ts_ms);
   CREATE TABLE decisions (
     id INTEGER PRIMARY KEY,
     alert_seq INTEGER NOT NULL,
     state TEXT NOT NULL,
     note TEXT NOT NULL,
     who TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE INDEX decisions_alert ON decisions (alert_seq, id);
   CREATE TRIGGER alerts_insert AFTER INSERT ON events WHEN new.kind = 'alert' BEGIN
     INSERT OR IGNORE INTO alerts (seq, ts_ms, rule, priority, container, task, service, count)
     VALUES (new.seq, new.ts_ms, coalesce(json_extract(new.json, '$.alert.rule'), ''),
       coalesce(json_extract(new.json, '$.alert.priority'), ''), new.container,
       coalesce(json_extract(new.json, '$.task.arn'), json_extract(new.json, '$.task.family')), new.service,
       coalesce(json_extract(new.json, '$.alert.count'), 1));
   END;
   CREATE TRIGGER alerts_delete AFTER DELETE ON events WHEN old.kind = 'alert' BEGIN
     DELETE FROM alerts WHERE seq = old.seq;
     DELETE FROM decisions WHERE alert_seq = old.seq;
   END;
   INSERT INTO alerts (seq, ts_ms, rule, priority, container, task, service, count)
     SELECT seq, ts_ms, coalesce(json_extract(json, '$.alert.rule'), ''), coalesce(json_extract(json, '$.alert.priority'), ''),
       container, coalesce(json_extract(json, '$.task.arn'), json_extract(json, '$.task.family')), service,
       coalesce(json_extract(json, '$.alert.count'), 1)
     FROM events WHERE kind = 'alert';`,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** The schema version recorded in `db`, or undefined when it has no schema_version table. */
export function readSchemaVersion (db: Database): number | undefined {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get()
  if (table === undefined) return undefined
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null }
  return row.version ?? 0
}

/** Brings `db` to SCHEMA_VERSION. Throws an Error naming both versions when the file is newer. */
export function migrate (db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
  const current = readSchemaVersion(db) ?? 0
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this agent's ${SCHEMA_VERSION}; upgrade the agent`)
  }
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)')
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1] as string)
      record.run(version, new Date().toISOString())
    })()
  }
}
