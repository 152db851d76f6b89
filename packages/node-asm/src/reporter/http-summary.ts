/**
 * The counts behind an `http.summary` event: the incoming requests and outbound calls that were
 * not reported one by one, per (method, route, status) and (method, host, port, status), with
 * their duration sum and maximum. Adding is a string key and a Map lookup; `take()` builds the
 * event and starts the next window. A window holds at most MAX_ROWS rows per side; past that a
 * request or call is counted in `overflow`, never lost. Rows are found through nested maps, one
 * level per key part, so that counting builds no key string (method, route and host are the
 * same string objects request after request, their hashes already known).
 */
import type { HttpSummaryEvent } from '@sidewatch/proto'
import { cut, envelope, type Identity } from './envelope'

export const MAX_ROWS = 1024

interface Row {
  method: string
  route?: string
  host?: string
  port?: number
  status?: number
  count: number
  sum: number
  max: number
}

/** key part → next level; the last level holds the rows. */
type Level = Map<unknown, Level | Row>

export class HttpSummary {
  #server: Level = new Map()
  #client: Level = new Map()
  #serverRows: Row[] = []
  #clientRows: Row[] = []
  #overflow = 0
  #start = new Date()

  get empty (): boolean {
    return this.#serverRows.length === 0 && this.#clientRows.length === 0 && this.#overflow === 0
  }

  addRequest (method: string, route: string | undefined, status: number | undefined, durationMs: number): void {
    const last = level(level(this.#server, method), status)
    const row = last.get(route) as Row | undefined
    if (row !== undefined) { add(row, durationMs); return }
    if (this.#serverRows.length >= MAX_ROWS) { this.#overflow++; return }
    const made: Row = { method, route, status, count: 1, sum: durationMs, max: durationMs }
    last.set(route, made)
    this.#serverRows.push(made)
  }

  addCall (method: string, host: string, port: number | undefined, status: number | undefined, durationMs: number): void {
    const last = level(level(level(this.#client, method), status), port)
    const row = last.get(host) as Row | undefined
    if (row !== undefined) { add(row, durationMs); return }
    if (this.#clientRows.length >= MAX_ROWS) { this.#overflow++; return }
    const made: Row = { method, host, port, status, count: 1, sum: durationMs, max: durationMs }
    last.set(host, made)
    this.#clientRows.push(made)
  }

  /** The window's event (undefined when nothing was counted); the next window starts now. */
  take (identity: Identity): HttpSummaryEvent | undefined {
    const end = new Date()
    if (this.empty) { this.#start = end; return undefined }
    const http: HttpSummaryEvent['http'] = {
      start: this.#start.toISOString(),
      end: end.toISOString(),
      server: this.#serverRows.map((row) => {
        const out: HttpSummaryEvent['http']['server'][number] = { method: cut(row.method, 32), ...totals(row) }
        if (row.route !== undefined) out.route = cut(row.route, 1024)
        if (validStatus(row.status)) out.status = row.status
        return out
      }),
      client: this.#clientRows.map((row) => {
        const out: HttpSummaryEvent['http']['client'][number] = { method: cut(row.method, 32), host: cut(row.host ?? '', 512), ...totals(row) }
        if (row.port !== undefined && Number.isInteger(row.port) && row.port >= 0 && row.port <= 65535) out.port = row.port
        if (validStatus(row.status)) out.status = row.status
        return out
      }),
    }
    if (this.#overflow > 0) http.overflow = this.#overflow
    this.#server = new Map()
    this.#client = new Map()
    this.#serverRows = []
    this.#clientRows = []
    this.#overflow = 0
    this.#start = end
    return { ...envelope(identity), kind: 'http.summary', http }
  }
}

/** The next level under `key`, made when missing. */
function level (map: Level, key: unknown): Level {
  let next = map.get(key) as Level | undefined
  if (next === undefined) { next = new Map(); map.set(key, next) }
  return next
}

function add (row: Row, durationMs: number): void {
  row.count++
  row.sum += durationMs
  if (durationMs > row.max) row.max = durationMs
}

function totals (row: Row): { count: number, duration_ms_sum: number, duration_ms_max: number } {
  return { count: row.count, duration_ms_sum: round(row.sum), duration_ms_max: round(row.max) }
}

function round (ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms * 1000) / 1000 : 0
}

function validStatus (status: number | undefined): status is number {
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 999
}
