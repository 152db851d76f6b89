/**
 * The counts behind an `http.summary` event: the incoming requests and outbound calls that were
 * not reported one by one, per (method, route, status) and (method, host, port, status), with
 * their duration sum and maximum. Adding is a string key and a Map lookup; `take()` builds the
 * event and starts the next window. A window holds at most MAX_ROWS rows per side; past that a
 * request or call is counted in `overflow`, never lost.
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

export class HttpSummary {
  #server = new Map<string, Row>()
  #client = new Map<string, Row>()
  #overflow = 0
  #start = new Date()

  get empty (): boolean {
    return this.#server.size === 0 && this.#client.size === 0 && this.#overflow === 0
  }

  addRequest (method: string, route: string | undefined, status: number | undefined, durationMs: number): void {
    const key = `${method} ${status ?? ''} ${route ?? ''}`
    const row = this.#server.get(key)
    if (row !== undefined) { add(row, durationMs); return }
    if (this.#server.size >= MAX_ROWS) { this.#overflow++; return }
    this.#server.set(key, { method, route, status, count: 1, sum: durationMs, max: durationMs })
  }

  addCall (method: string, host: string, port: number | undefined, status: number | undefined, durationMs: number): void {
    const key = `${method} ${status ?? ''} ${port ?? ''} ${host}`
    const row = this.#client.get(key)
    if (row !== undefined) { add(row, durationMs); return }
    if (this.#client.size >= MAX_ROWS) { this.#overflow++; return }
    this.#client.set(key, { method, host, port, status, count: 1, sum: durationMs, max: durationMs })
  }

  /** The window's event (undefined when nothing was counted); the next window starts now. */
  take (identity: Identity): HttpSummaryEvent | undefined {
    const end = new Date()
    if (this.empty) { this.#start = end; return undefined }
    const http: HttpSummaryEvent['http'] = {
      start: this.#start.toISOString(),
      end: end.toISOString(),
      server: [...this.#server.values()].map((row) => {
        const out: HttpSummaryEvent['http']['server'][number] = { method: cut(row.method, 32), ...totals(row) }
        if (row.route !== undefined) out.route = cut(row.route, 1024)
        if (validStatus(row.status)) out.status = row.status
        return out
      }),
      client: [...this.#client.values()].map((row) => {
        const out: HttpSummaryEvent['http']['client'][number] = { method: cut(row.method, 32), host: cut(row.host ?? '', 512), ...totals(row) }
        if (row.port !== undefined && Number.isInteger(row.port) && row.port >= 0 && row.port <= 65535) out.port = row.port
        if (validStatus(row.status)) out.status = row.status
        return out
      }),
    }
    if (this.#overflow > 0) http.overflow = this.#overflow
    this.#server = new Map()
    this.#client = new Map()
    this.#overflow = 0
    this.#start = end
    return { ...envelope(identity), kind: 'http.summary', http }
  }
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
