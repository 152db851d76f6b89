/**
 * Reading the embedded store: listing recent events and full-text search. Opened read-only; the
 * agent may be writing at the same time (WAL lets readers and the writer run together).
 */
import { existsSync } from 'node:fs'
import Database, { type Database as Db } from 'better-sqlite3'
import type { SidewatchEvent } from '@sidewatch/proto'
import { AgentError } from '../errors'
import { readSchemaVersion, SCHEMA_VERSION } from './schema'

export interface EventFilter {
  kind?: string
  /** Only events at or after this time (ms since the epoch). */
  sinceMs?: number
  limit: number
}

export function openStore (path: string): Db {
  if (!existsSync(path)) throw new AgentError('SW_ERR_DB', `no event database at ${path}`)
  let db: Db | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    const version = readSchemaVersion(db)
    if (version === undefined) throw new AgentError('SW_ERR_DB', `${path} is not a sidewatch event database (no schema_version table)`)
    if (version > SCHEMA_VERSION) {
      throw new AgentError('SW_ERR_DB', `${path} has schema version ${version}, newer than this agent's ${SCHEMA_VERSION}; upgrade the agent`)
    }
    return db
  } catch (err) {
    db?.close()
    if (err instanceof AgentError) throw err
    throw new AgentError('SW_ERR_DB', `cannot read event database ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** The newest `limit` events matching the filter, oldest first. */
export function listEvents (db: Db, filter: EventFilter): SidewatchEvent[] {
  const { where, params } = conditions(filter)
  const rows = db.prepare(`SELECT json FROM events ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY ts_ms DESC, seq DESC LIMIT ?`).all(...params, filter.limit) as Array<{ json: string }>
  return rows.reverse().map((r) => JSON.parse(r.json) as SidewatchEvent)
}

/**
 * The newest `limit` events whose text matches an FTS5 query, oldest first. Throws
 * SW_ERR_BAD_QUERY when SQLite rejects the query.
 */
export function searchEvents (db: Db, match: string, filter: EventFilter): SidewatchEvent[] {
  const { where, params } = conditions(filter, 'e.')
  let rows: Array<{ json: string }>
  try {
    rows = db.prepare(`SELECT e.json FROM events_fts f JOIN events e ON e.seq = f.rowid
      WHERE events_fts MATCH ? ${where.map((w) => 'AND ' + w).join(' ')}
      ORDER BY e.ts_ms DESC, e.seq DESC LIMIT ?`).all(match, ...params, filter.limit) as Array<{ json: string }>
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_ERROR') {
      throw new AgentError('SW_ERR_BAD_QUERY', `search query ${JSON.stringify(match)} is not valid FTS5: ${(err as Error).message}`)
    }
    throw err
  }
  return rows.reverse().map((r) => JSON.parse(r.json) as SidewatchEvent)
}

/**
 * Turns what a user typed into a safe FTS5 query: each whitespace-separated word becomes a quoted
 * phrase (so `/etc/passwd`, `a-b` or `x:y` are plain text, not syntax) and all must match.
 * `/etc/passwd` matches the tokens `etc passwd` next to each other.
 */
export function ftsPhrases (text: string): string {
  return text.split(/\s+/).filter((w) => w !== '').map((w) => `"${w.replaceAll('"', '""')}"`).join(' ')
}

function conditions (filter: EventFilter, prefix = ''): { where: string[], params: unknown[] } {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.kind !== undefined) { where.push(`${prefix}kind = ?`); params.push(filter.kind) }
  if (filter.sinceMs !== undefined) { where.push(`${prefix}ts_ms >= ?`); params.push(filter.sinceMs) }
  return { where, params }
}
