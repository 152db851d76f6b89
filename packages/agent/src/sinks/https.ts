/**
 * `https://HOST[:PORT]/PATH`: batches of events POSTed as gzip JSON (`{"events":[...]}`) with
 * `Authorization: Bearer <deployment key>`, to a sidewatch collector (`sidewatch-agent collect`)
 * or any ingest endpoint that takes that shape.
 *
 * - The key comes from SIDEWATCH_KEY (ECS fills it from SSM Parameter Store through the task
 *   definition's `secrets`) or the file named by SIDEWATCH_KEY_FILE; never from the command line.
 * - TLS verification is always on. SIDEWATCH_CA_FILE adds a CA (PEM) to the system's, for a
 *   private collector.
 * - A write resolves on a 2xx. Anything else rejects, so the spool's pump sends the batch again
 *   with backoff; 429 and 503 carry their Retry-After (seconds or an HTTP date) as `retryAfterMs`,
 *   which the pump waits at least. 401/403 say the key is wrong, in the error.
 * - `http://` is accepted only for loopback addresses (a collector on the same host or a test).
 */
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { promisify } from 'node:util'
import { gzip as gzipCb } from 'node:zlib'
import type { SidewatchEvent } from '@sidewatch/proto'
import type * as Undici from 'undici'
import type { Dispatcher } from 'undici'
import { answerTimeoutMs } from './answer-timeout'
import { AgentError } from '../errors'
import type { RawBatch, Sink, SinkContext } from './sink'

const gzip = promisify(gzipCb)
/**
 * Level 1: events' JSON is repetitive enough that the fastest level keeps most of the gain
 * (1,000 process.exec events: 4.8% of the JSON against 4.1% at level 6, in 43% of the time).
 */
const GZIP = { level: 1, chunkSize: 64 * 1024 } // a batch's gzip (~25 KB) in one chunk: one trip back from the thread pool
const TIMEOUT_MS = 30_000
/** A JSON body buffer grown past this (a batch of very large events) is let go after its batch. */
const MAX_KEPT_BODY = 4 * 1024 * 1024
const MAX_RETRY_AFTER_MS = 10 * 60_000

/** undici, loaded with the first sink that talks HTTP (it alone adds ~20 MB to the agent's RSS). */
export function loadUndici (): typeof Undici {
  return require('undici') as typeof Undici
}

/** A refused batch; `retryAfterMs` when the receiver said when to come back. */
export class SinkHttpError extends Error {
  constructor (message: string, readonly status: number | undefined, readonly retryAfterMs?: number) {
    super(message)
    this.name = 'SinkHttpError'
  }
}

export function checkHttpsUrl (spec: string): URL {
  let url: URL
  try {
    url = new URL(spec)
  } catch {
    throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)} is not a URL like https://collector.example.com/v1/events`)
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)}: events leave the task over https only (http is allowed to loopback addresses)`)
  }
  if (url.username !== '' || url.password !== '') throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(url.origin)}: no credentials in the URL; the key comes from SIDEWATCH_KEY or SIDEWATCH_KEY_FILE`)
  return url
}

/** The deployment key from the environment or its file. */
export function deploymentKey (env: NodeJS.ProcessEnv = process.env): string {
  const direct = env.SIDEWATCH_KEY
  if (direct !== undefined && direct.trim() !== '') return direct.trim()
  const file = env.SIDEWATCH_KEY_FILE
  if (file !== undefined && file !== '') {
    let key: string
    try {
      key = readFileSync(file, 'utf8').trim()
    } catch (err) {
      throw new AgentError('SW_ERR_SINK', `cannot read the deployment key file SIDEWATCH_KEY_FILE=${file}: ${(err as Error).message}`, { cause: err })
    }
    if (key === '') throw new AgentError('SW_ERR_SINK', `the deployment key file ${file} is empty`)
    return key
  }
  throw new AgentError('SW_ERR_SINK', 'an https sink needs the deployment key in SIDEWATCH_KEY (or a file named by SIDEWATCH_KEY_FILE)')
}

export class HttpsSink implements Sink {
  readonly name: string
  /** Two POSTs at once (of its 4 connections): one is compressed and sent while the receiver stores the other. */
  readonly maxInFlight = 2
  readonly #url: URL
  readonly #authorization: string
  readonly #dispatcher: Dispatcher
  readonly #timeoutMs: number
  /** Batches refused, by status (for stats). */
  readonly refused: Record<string, number> = {}
  /** Buffers for the JSON of batches being compressed, used again once gzip has read them. */
  readonly #bodies: Buffer[] = []

  private constructor (url: URL, key: string, dispatcher: Dispatcher, timeoutMs: number) {
    this.name = url.href
    this.#url = url
    this.#authorization = `Bearer ${key}`
    this.#dispatcher = dispatcher
    this.#timeoutMs = timeoutMs
  }

  static async open (spec: string, _ctx: SinkContext, env: NodeJS.ProcessEnv = process.env): Promise<HttpsSink> {
    const url = checkHttpsUrl(spec)
    const key = deploymentKey(env)
    let ca: string[] | undefined
    if (env.SIDEWATCH_CA_FILE !== undefined && env.SIDEWATCH_CA_FILE !== '') {
      try {
        ca = [...rootCertificates, readFileSync(env.SIDEWATCH_CA_FILE, 'utf8')]
      } catch (err) {
        throw new AgentError('SW_ERR_SINK', `cannot read SIDEWATCH_CA_FILE=${env.SIDEWATCH_CA_FILE}: ${(err as Error).message}`, { cause: err })
      }
    }
    const timeoutMs = answerTimeoutMs(env, TIMEOUT_MS)
    const dispatcher = new (loadUndici().Agent)({ connect: { ca, rejectUnauthorized: true }, keepAliveTimeout: 30_000, connections: 4 })
    return new HttpsSink(url, key, dispatcher, timeoutMs)
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.#post(await gzip(Buffer.from(JSON.stringify({ events })), GZIP))
  }

  /** The events' JSON as the spool holds it, into `{"events":[…]}`: no second serialisation. */
  async writeRaw ({ json }: RawBatch): Promise<void> {
    if (json.length === 0) return
    const size = jsonBatchSize(json)
    let buf = this.#bodies.pop()
    // Too small: a new one, twice the size at least, so the buffers settle at what batches take.
    if (buf === undefined || buf.length < size) buf = Buffer.allocUnsafeSlow(Math.max(size, 2 * (buf?.length ?? 0)))
    let compressed: Buffer
    try {
      compressed = await gzip(writeJsonBatch(json, buf), GZIP)
    } finally {
      if (buf.length <= MAX_KEPT_BODY) this.#bodies.push(buf)
    }
    await this.#post(compressed)
  }

  async #post (body: Buffer): Promise<void> {
    let res: Dispatcher.ResponseData
    try {
      res = await loadUndici().request(this.#url, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: this.#authorization, 'user-agent': 'sidewatch-agent' },
        body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      })
    } catch (err) {
      const e = err as Error & { code?: string }
      const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(e.code ?? '') || /certificate/i.test(e.message)
      throw new SinkHttpError(tls
        ? `${this.#url.origin} presented a certificate that is not trusted (${e.code ?? e.message}); give its CA in SIDEWATCH_CA_FILE`
        : `cannot reach ${this.#url.origin}: ${e.code ?? ''} ${e.message}`.trim(), undefined)
    }
    const text = await res.body.text().catch(() => '')
    if (res.statusCode >= 200 && res.statusCode < 300) return
    this.refused[res.statusCode] = (this.refused[res.statusCode] ?? 0) + 1
    const retryAfter = res.statusCode === 429 || res.statusCode === 503 ? retryAfterMs(res.headers['retry-after']) : undefined
    const why = res.statusCode === 401 || res.statusCode === 403 ? ' (the deployment key was refused)' : ''
    throw new SinkHttpError(`${this.#url.href} answered ${res.statusCode}${why}: ${text.slice(0, 200)}`, res.statusCode, retryAfter)
  }

  /** Every write waited for its answer: nothing is held here. */
  async flush (): Promise<void> {}

  /** Called once the pump has stopped: a request still waiting for an answer is abandoned (unacknowledged, so spooled). */
  async close (): Promise<void> {
    await this.#dispatcher.destroy()
  }
}

/** The size of `{"events":[…]}` for the events' JSON. */
function jsonBatchSize (raw: readonly Buffer[]): number {
  let size = OPEN.length + CLOSE.length + raw.length - 1
  for (const r of raw) size += r.length
  return size
}

/** `{"events":[…]}` from the events' JSON, written at the start of `buf` (large enough); the view of it. */
function writeJsonBatch (raw: readonly Buffer[], buf: Buffer): Buffer {
  let at = OPEN.copy(buf, 0)
  for (let i = 0; i < raw.length; i++) {
    if (i > 0) buf[at++] = 0x2c // ,
    at += (raw[i] as Buffer).copy(buf, at)
  }
  at += CLOSE.copy(buf, at)
  return buf.subarray(0, at)
}
const OPEN = Buffer.from('{"events":[')
const CLOSE = Buffer.from(']}')

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs (header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return undefined
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined
}
