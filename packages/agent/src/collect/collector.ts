/**
 * The receiving side of the https sink: `POST /v1/events` with `Authorization: Bearer <key>` and a
 * gzip (or plain) JSON body `{"events":[...]}` from many agents, into this process's own sinks.
 * A central store for users who have not moved to NATS yet.
 *
 * - Keys: any of the configured deployment keys, compared in constant time.
 * - Every event is validated like the agent's local socket does; invalid ones are counted and
 *   left out, the rest stored (the answer says how many of each, so a sender never retries a
 *   batch forever over one bad event).
 * - Repeats (the senders' spools deliver at least once) are dropped by event id: a bounded set
 *   of recent ids here, and the sqlite sink's unique index for good.
 * - 200 only after the sinks have flushed the batch; a failing sink answers 503 with
 *   Retry-After, and the sender's spool keeps the batch.
 * - Bodies are bounded compressed and decompressed (a gzip bomb is a 413, not an outage).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { gunzip as gunzipCb } from 'node:zlib'
import type { SidewatchEvent } from '@sidewatch/proto'
import { validateEvent } from '@sidewatch/proto/schema'
import type { Logger } from '../log'
import type { RawBatch } from '../sinks/sink'
import type { SinkSet } from '../sinks/sink-set'
import { eventSlices } from './event-slices'

const gunzip = promisify(gunzipCb)
export const EVENTS_PATH = '/v1/events'
const MAX_BODY = 16 * 1024 * 1024
const MAX_EVENTS_BYTES = 64 * 1024 * 1024
const RECENT_IDS = 200_000
/**
 * Bytes zlib inflates into at a time: every chunk is a trip from the thread pool to the event
 * loop and a copy there. A 1,000-event batch is ~500 KB: 2 chunks instead of zlib's 16 KiB's 30.
 */
const GUNZIP_CHUNK = 256 * 1024

export interface CollectorOptions {
  host: string
  port: number
  keys: readonly string[]
  tls?: { cert: Buffer, key: Buffer }
  sinks: SinkSet
  log: Logger
  /** How many of the latest event ids are remembered to drop repeats (default 200,000). */
  recentIds?: number
}

export interface CollectorStats { batches: number, accepted: number, rejected: number, duplicates: number, unauthorized: number, failed: number }

export class Collector {
  readonly stats: CollectorStats = { batches: 0, accepted: 0, rejected: 0, duplicates: 0, unauthorized: 0, failed: 0 }
  readonly #server: Server
  readonly #keys: Buffer[]
  readonly #sinks: SinkSet
  readonly #log: Logger
  /** The ids of the last RECENT_IDS events stored, and the same ids in the order they came (oldest evicted first). */
  readonly #recent = new Set<string>()
  readonly #recentOrder: string[] = []
  #recentNext = 0
  readonly #recentMax: number
  /** Batches are stored one at a time, in arrival order. */
  #chain: Promise<unknown> = Promise.resolve()
  readonly #scheme: 'http' | 'https'

  private constructor (options: CollectorOptions, server: Server) {
    this.#server = server
    this.#keys = options.keys.map(hash)
    this.#sinks = options.sinks
    this.#log = options.log
    this.#scheme = options.tls === undefined ? 'http' : 'https'
    this.#recentMax = options.recentIds ?? RECENT_IDS
  }

  static async start (options: CollectorOptions): Promise<Collector> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => { void collector.#handle(req, res) }
    const server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    const collector = new Collector(options, server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
    })
    return collector
  }

  /** `https://HOST:PORT` (or http) as bound. */
  get url (): string {
    const a = this.#server.address() as AddressInfo
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `${this.#scheme}://${host}:${a.port}`
  }

  get address (): AddressInfo {
    return this.#server.address() as AddressInfo
  }

  async close (): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
    await this.#chain
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    try {
      const path = (req.url ?? '').split('?')[0]
      if (req.method === 'GET' && path === '/healthz') { answer(200, { ok: true }); return }
      if (path !== EVENTS_PATH) { answer(404, { error: `not found: POST ${EVENTS_PATH}` }); return }
      if (req.method !== 'POST') { answer(405, { error: 'POST only' }, { allow: 'POST' }); return }
      if (!this.#authorized(req.headers.authorization)) {
        this.stats.unauthorized++
        this.#log.warn({ code: 'SW_ERR_AUTH', peer: req.socket.remoteAddress }, 'collect: a batch with a missing or unknown deployment key')
        answer(401, { error: 'SW_ERR_AUTH: missing or unknown deployment key' }, { 'www-authenticate': 'Bearer' })
        return
      }
      const raw = await readBody(req)
      if (raw === undefined) { answer(413, { error: `SW_ERR_FRAME_TOO_LARGE: the body is over ${MAX_BODY} bytes` }); return }
      let text: Buffer
      try {
        text = req.headers['content-encoding'] === 'gzip' ? await gunzip(raw, { maxOutputLength: MAX_EVENTS_BYTES, chunkSize: GUNZIP_CHUNK }) : raw
      } catch (err) {
        const big = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
        answer(big ? 413 : 400, { error: big ? `SW_ERR_FRAME_TOO_LARGE: over ${MAX_EVENTS_BYTES} bytes decompressed` : `SW_ERR_BAD_FRAME: not gzip: ${(err as Error).message}` })
        return
      }
      let body: unknown
      try {
        body = JSON.parse(text.toString('utf8'))
      } catch (err) {
        answer(400, { error: `SW_ERR_BAD_FRAME: not JSON: ${(err as Error).message}` })
        return
      }
      const list = (body as { events?: unknown } | null)?.events
      if (!Array.isArray(list)) { answer(400, { error: 'SW_ERR_BAD_FRAME: the body is {"events": [...]}' }); return }
      // Each event's text as sent, for sinks that store JSON as it is (not when the body has line
      // breaks: a jsonl line must not hold one).
      const slices = text.includes(0x0a) || text.includes(0x0d) ? undefined : eventSlices(text)
      await (this.#chain = this.#chain.then(() => this.#store(list, slices?.length === list.length ? slices : undefined, answer)))
    } catch (err) {
      this.#log.error({ err }, 'collect: request failed')
      if (!res.headersSent) answer(500, { error: 'internal error' })
    }
  }

  async #store (list: unknown[], slices: Buffer[] | undefined, answer: (status: number, body: Record<string, unknown>, headers?: Record<string, string>) => void): Promise<void> {
    const events: SidewatchEvent[] = []
    const raw: RawBatch & { json: Buffer[], ids: string[], kinds: string[] } = { json: [], ids: [], kinds: [] }
    let rejected = 0
    let duplicates = 0
    const ids = new Set<string>()
    for (let i = 0; i < list.length; i++) {
      const e = list[i]
      if (validateEvent(e) !== undefined) { rejected++; continue }
      const { id, kind } = e as SidewatchEvent
      if (this.#recent.has(id) || ids.has(id)) { duplicates++; continue }
      ids.add(id)
      events.push(e as SidewatchEvent)
      if (slices !== undefined) {
        raw.json.push(slices[i] as Buffer)
        raw.ids.push(id)
        raw.kinds.push(kind)
      }
    }
    try {
      await this.#sinks.write(events, slices === undefined ? undefined : raw)
      await this.#sinks.flush()
    } catch (err) {
      this.stats.failed++
      this.#log.error({ code: 'SW_ERR_SINK', err }, 'collect: could not store a batch; the sender will retry')
      answer(503, { error: 'SW_ERR_SINK: could not store the batch' }, { 'retry-after': '5' })
      return
    }
    for (const id of ids) this.#remember(id)
    this.stats.batches++
    this.stats.accepted += events.length
    this.stats.rejected += rejected
    this.stats.duplicates += duplicates
    answer(200, { accepted: events.length, rejected, duplicates })
  }

  /**
   * Adds an id to the recent ones, evicting the oldest past the bound. The oldest is found in a
   * ring of ids rather than as the Set's first value: a Set keeps deleted entries as holes until it
   * is rehashed, and its iterator steps over them, so `values().next()` after many evictions
   * walked up to that many holes each time (16 µs per event once 200,000 ids had been seen).
   */
  #remember (id: string): void {
    this.#recent.add(id)
    const order = this.#recentOrder
    if (order.length < this.#recentMax) { order.push(id); return }
    this.#recent.delete(order[this.#recentNext] as string)
    order[this.#recentNext] = id
    this.#recentNext = (this.#recentNext + 1) % this.#recentMax
  }

  #authorized (header: string | undefined): boolean {
    const m = /^Bearer (.+)$/.exec(header ?? '')
    const given = hash(m?.[1] ?? '')
    let ok = false
    for (const key of this.#keys) if (timingSafeEqual(key, given)) ok = true // every key compared: no early exit
    return ok && m !== null
  }
}

function hash (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** The request body, or undefined past MAX_BODY (the rest is discarded). */
function readBody (req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) over = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
