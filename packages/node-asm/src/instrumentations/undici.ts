/**
 * undici and fetch: republishes undici's own diagnostics channels on ours. undici publishes them
 * by name, both the npm package (undici 7) and the copy bundled in Node behind the global
 * `fetch`, so nothing is wrapped and both are covered whether or not the app ever requires
 * `undici`. The definition is therefore applied to `diagnostics_channel` itself: `enable()`
 * subscribes at once (without loading require-in-the-middle), `disable()` unsubscribes.
 *
 * - `undici:request:create` → `sidewatch:http.client:start` with api `fetch` (fetch always sends
 *   `sec-fetch-mode`) or `undici` (request, stream, pipeline, dispatch, ...), method, url, host, port.
 * - `undici:client:sendHeaders` (the request is about to be written on a socket) → local/remote.
 * - `undici:request:headers` → `end` with `status`; `undici:request:error` → `end` with `error`.
 *
 * Block mode: a `start` subscriber's `ctx.abort` becomes `request.error`. undici checks it when
 * the request gets a connection (Request#onConnect) and fails the request before writing a
 * byte: `undici.request`/`stream` reject with the abort error itself, `fetch` rejects with
 * `TypeError('fetch failed', { cause: abort })` like any network error. The connection used is
 * closed; when none was open, one is opened first (TCP only, nothing is sent): undici offers no
 * earlier point to fail a request from a channel.
 */
import dc = require('node:diagnostics_channel')
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { channels, type HttpClientContext, type TypedChannel, publishSafely } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { firstUse } from './socket-first-use'
import { internalError } from '../warn'

/** What we read of undici's Request (lib/core/request.js). */
interface UndiciRequest {
  origin: string | URL
  method: string
  path: string
  headers: unknown
  error?: Error | null
}

const start = channels.httpClientStart
const end = channels.httpClientEnd
const pending = new WeakMap<object, { ctx: HttpClientContext, startedAt: number }>()
let depth = 0

const SUBSCRIPTIONS: ReadonlyArray<[string, (message: unknown) => void]> = [
  ['undici:request:create', guarded('undici:request:create', onCreate)],
  ['undici:client:sendHeaders', guarded('undici:client:sendHeaders', onSendHeaders)],
  ['undici:request:headers', guarded('undici:request:headers', onHeaders)],
  ['undici:request:error', guarded('undici:request:error', onError)],
]
let subscribed = false

export const undiciInstrumentation: InstrumentationDefinition = {
  name: 'diagnostics_channel',
  builtin: true,
  patch (): void {
    if (subscribed) return
    subscribed = true
    for (const [name, fn] of SUBSCRIPTIONS) dc.subscribe(name, fn)
  },
  unpatch (): void {
    if (!subscribed) return
    subscribed = false
    for (const [name, fn] of SUBSCRIPTIONS) dc.unsubscribe(name, fn)
  },
}

/** Node rethrows a subscriber's exception as an uncaught exception: ours must never throw. */
function guarded (name: string, fn: (message: unknown) => void): (message: unknown) => void {
  return (message) => {
    try {
      fn(message)
    } catch (err) {
      internalError(`reading ${name}`, err)
    }
  }
}

/** The request's target and api, or undefined when undici's fields are not as expected. */
export function describeUndiciRequest (request: UndiciRequest): HttpClientContext | undefined {
  if (typeof request.path !== 'string' || typeof request.method !== 'string') return undefined
  const origin = new URL(String(request.origin))
  const host = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname
  const port = origin.port === '' ? (origin.protocol === 'https:' ? 443 : 80) : Number(origin.port)
  return { api: isFetch(request.headers) ? 'fetch' : 'undici', method: request.method, url: `${origin.origin}${request.path}`, host, port }
}

/** fetch always sends `sec-fetch-mode`; undici keeps headers as [name, value, ...] (a string in undici 5). */
function isFetch (headers: unknown): boolean {
  if (Array.isArray(headers)) return headers.includes('sec-fetch-mode')
  return typeof headers === 'string' && headers.includes('sec-fetch-mode')
}

function onCreate (message: unknown): void {
  if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return
  const request = (message as { request: UndiciRequest }).request
  const ctx = describeUndiciRequest(request)
  if (ctx === undefined) return
  pending.set(request, { ctx, startedAt: performance.now() })
  publish(start, ctx)
  if (ctx.abort !== undefined) request.error = ctx.abort
}

function onSendHeaders (message: unknown): void {
  const { request, socket } = message as { request: object, socket: Socket | undefined }
  const entry = pending.get(request)
  if (entry === undefined || socket === undefined) return
  entry.ctx.newConnection = firstUse(socket)
  const { localAddress, localPort, remoteAddress, remotePort } = socket
  if (localAddress !== undefined && localPort !== undefined) entry.ctx.local = { address: localAddress, port: localPort }
  if (remoteAddress !== undefined && remotePort !== undefined) entry.ctx.remote = { address: remoteAddress, port: remotePort }
}

function onHeaders (message: unknown): void {
  const { request, response } = message as { request: object, response: { statusCode: number } }
  settle(request, (ctx) => { ctx.status = response.statusCode })
}

function onError (message: unknown): void {
  const { request, error } = message as { request: object, error: Error }
  settle(request, (ctx) => { ctx.error = error })
}

function settle (request: object, set: (ctx: HttpClientContext) => void): void {
  const entry = pending.get(request)
  if (entry === undefined) return
  pending.delete(request)
  set(entry.ctx)
  entry.ctx.durationMs = performance.now() - entry.startedAt
  publish(end, entry.ctx)
}

/** Publishes with the re-entrancy guard up, so fs calls made by subscribers are not reported. */
function publish (channel: TypedChannel<HttpClientContext>, ctx: HttpClientContext): void {
  depth++
  try {
    publishSafely(channel, ctx)
  } finally {
    depth--
  }
}
