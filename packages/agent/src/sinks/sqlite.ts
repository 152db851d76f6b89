/**
 * `sqlite:FILE`: the embedded store (better-sqlite3, WAL). Events are buffered and inserted in
 * one transaction every FLUSH_INTERVAL_MS or every BATCH_SIZE events, whichever comes first.
 */
import { closeSync, openSync } from 'node:fs'
import Database, { type Database as Db, type Statement } from 'better-sqlite3'
import type { SidewatchEvent } from '@sidewatch/proto'
import { AgentError } from '../errors'
import { flattenText } from '../store/flatten'
import { migrate } from '../store/schema'
import { FLUSH_INTERVAL_MS, type Sink, type SinkContext } from './sink'

const BATCH_SIZE = 500

export class SqliteSink implements Sink {
  readonly name: string
  #db: Db
  #ctx: SinkContext
  #pending: SidewatchEvent[] = []
  #insertAll: (events: SidewatchEvent[]) => void
  #timer: NodeJS.Timeout
  #closed = false

  private constructor (path: string, db: Db, ctx: SinkContext) {
    this.name = `sqlite:${path}`
    this.#db = db
    this.#ctx = ctx
    const insertEvent: Statement = db.prepare(`INSERT OR IGNORE INTO events
      (id, ts, ts_ms, kind, source, service, container, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    const insertText: Statement = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)')
    this.#insertAll = db.transaction((events: SidewatchEvent[]) => {
      for (const ev of events) {
        const info = insertEvent.run(ev.id, ev.ts, Date.parse(ev.ts), ev.kind, ev.source,
          ev.service ?? null, ev.container ?? null, JSON.stringify(ev))
        // A duplicate id changes nothing, and must not be indexed twice.
        if (info.changes === 1) insertText.run(info.lastInsertRowid, flattenText(ev))
      }
    })
    this.#timer = setInterval(() => {
      try { this.#flushNow() } catch (err) { this.#ctx.onError(this.name, err) }
    }, FLUSH_INTERVAL_MS).unref()
  }

  static async open (path: string, ctx: SinkContext): Promise<SqliteSink> {
    let db: Db | undefined
    try {
      // Created private up front: events carry command lines and URLs. SQLite gives its -wal
      // and -shm files the same mode; an empty file is a new database to it.
      closeSync(openSync(path, 'a', 0o640))
      db = new Database(path)
      db.pragma('journal_mode = WAL')
      // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
      // the last commits.
      db.pragma('synchronous = NORMAL')
      db.pragma('busy_timeout = 5000')
      migrate(db)
    } catch (err) {
      db?.close()
      throw new AgentError('SW_ERR_SINK', `cannot open sqlite sink ${path}: ${(err as Error).message}`, { cause: err })
    }
    return new SqliteSink(path, db, ctx)
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    if (this.#closed) throw new AgentError('SW_ERR_SINK', `${this.name} is closed`)
    this.#pending.push(...events)
    if (this.#pending.length >= BATCH_SIZE) {
      try { this.#flushNow() } catch (err) { this.#ctx.onError(this.name, err) }
    }
  }

  async flush (): Promise<void> {
    this.#flushNow()
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    try {
      this.#flushNow()
    } finally {
      this.#db.close()
    }
  }

  #flushNow (): void {
    if (this.#pending.length === 0) return
    const batch = this.#pending
    this.#pending = []
    this.#insertAll(batch)
  }
}
