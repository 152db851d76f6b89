/**
 * Outbound HTTP through Node's http and https modules: wraps `request` and `get` of both and
 * publishes each request on `sidewatch:http.client:start` (before it is sent: api, method, url,
 * host, port) and `:end` once, when the response headers arrived (`status`) or the request
 * failed (`error`), with the socket's addresses (set when it connects) and `durationMs`.
 *
 * The ClientRequest is left as the app made it: no 'response' or 'error' listener is added (either
 * would change what Node does when the app has none: dump the response, crash on the error).
 * Responses are seen on Node's own `http.client.response.finish` channel; the 'socket' and
 * 'error' events by an `emit` on the request's prototype (set once), which looks at requests
 * carrying a pending entry before their listeners run — no listeners, closures or WeakMap entry
 * per call. A request with an `emit` of its own gets `errorMonitor` and 'socket' listeners.
 *
 * A `start` subscriber can set `ctx.abort`: the request is then made without an agent and with a
 * `createConnection` that fails, so the app gets the same ClientRequest, no socket is opened,
 * nothing is sent, and the request emits 'error' with the abort error.
 *
 * One definition patches both modules (`http`, then `https` from patch()).
 */
import shimmer = require('shimmer')
import dc = require('node:diagnostics_channel')
import { errorMonitor } from 'node:events'
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { channels, type HttpClientContext, type TypedChannel, publishSafely } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { firstUse } from './socket-first-use'
import { internalError } from '../warn'
import { describeRequest } from './http-client-target'
import { isOurEmit, restoreEmit, setEmit } from './prototype-emit'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Exports = Record<string, unknown>

const kOriginal = Symbol('sidewatch.original')
const start = channels.httpClientStart
const end = channels.httpClientEnd
const METHODS = ['request', 'get'] as const
const RESPONSE_CHANNEL = 'http.client.response.finish'

/** On a request published on start and not yet on end: its context and when it started. */
const kPending = Symbol('sidewatch.httpClient')
interface Pending { ctx: HttpClientContext, startedAt: number }
type Watched = ClientRequest & { [kPending]?: Pending }
/** Request prototypes whose `emit` we wrapped (restored when the last module is unpatched). */
const patchedPrototypes = new Set<Record<string, unknown>>()
/** http.get → request, and calls made by subscribers while publishing, are not reported again. */
let depth = 0
let patchedModules = 0

export const httpClientInstrumentation: InstrumentationDefinition = {
  name: 'http',
  builtin: true,
  patch (http: Exports): void {
    patchModule(http, 'http')
    patchModule(require('node:https') as Exports, 'https')
  },
  unpatch (http: Exports): void {
    unpatchModule(http)
    unpatchModule(require('node:https') as Exports)
  },
}

/** True for our request/get wrappers and for the `emit` we put on ClientRequest's prototype. */
export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && (kOriginal in fn || isOurEmit(fn))
}

function patchModule (module: Exports, api: 'http' | 'https'): void {
  for (const method of METHODS) {
    const current = module[method]
    if (typeof current !== 'function' || isWrapped(current)) continue
    shimmer.wrap(module, method, (original) => wrapRequest(api, original as AnyFunction))
    if (patchedModules++ === 0) dc.subscribe(RESPONSE_CHANNEL, onResponse)
  }
}

function unpatchModule (module: Exports): void {
  for (const method of METHODS) {
    if (!isWrapped(module[method])) continue
    shimmer.unwrap(module, method)
    if (--patchedModules === 0) {
      dc.unsubscribe(RESPONSE_CHANNEL, onResponse)
      unpatchPrototypes()
    }
  }
}

function wrapRequest (api: 'http' | 'https', original: AnyFunction): AnyFunction {
  const wrapped = function (this: unknown): unknown {
    if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    let ctx: HttpClientContext | undefined
    try {
      ctx = describeRequest(api, arguments)
    } catch (err) {
      internalError(`describing ${api}.${original.name}()`, err)
    }
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    const startedAt = performance.now()
    publish(start, ctx)
    const abort = ctx.abort
    const args = abort === undefined ? arguments as unknown as unknown[] : withFailingConnection(arguments, abort)
    let req: ClientRequest
    depth++
    try {
      req = original.apply(this, args) as ClientRequest
    } catch (err) {
      depth--
      settle(ctx, startedAt, err)
      throw err
    }
    depth--
    if (abort !== undefined) {
      settle(ctx, startedAt, abort)
      return req
    }
    try {
      watch(req, ctx, startedAt)
    } catch (err) {
      internalError(`watching ${api}.${original.name}()`, err)
    }
    return req
  }
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true })
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true })
  Object.defineProperty(wrapped, kOriginal, { value: original })
  return wrapped
}

/** The same call, with options that make ClientRequest skip the agent and fail to connect. */
function withFailingConnection (args: IArguments, abort: Error): unknown[] {
  const createConnection = (_opts: unknown, oncreate: (err: Error) => void): undefined => { oncreate(abort); return undefined }
  const override = { agent: undefined, createConnection }
  const [input, second, ...rest] = Array.prototype.slice.call(args) as unknown[]
  if (typeof input === 'string' || input instanceof URL) {
    if (second !== null && typeof second === 'object') return [input, { ...second, ...override }, ...rest]
    return [input, override, ...(second === undefined ? rest : [second, ...rest])]
  }
  // An options object may carry what Node reads through its prototype: keep it underneath.
  const options = Object.assign(Object.create((input ?? {}) as object) as Exports, override)
  return second === undefined ? [options, ...rest] : [options, second, ...rest]
}

function watch (req: ClientRequest, ctx: HttpClientContext, startedAt: number): void {
  const entry: Pending = { ctx, startedAt }
  const proto = Object.getPrototypeOf(req) as Record<string, unknown> | null
  if (proto !== null && !Object.prototype.hasOwnProperty.call(req, 'emit') && (isWrapped(proto.emit) || patchEmit(proto))) {
    (req as Watched)[kPending] = entry
    return
  }
  // Fallback: listeners (an `emit` of the request's own would bypass the prototype's).
  fallbackPending.set(req, entry)
  req.once(errorMonitor, (err: Error) => {
    if (fallbackPending.delete(req)) settle(ctx, startedAt, err)
  })
  req.once('socket', (socket: Socket) => { onSocket(ctx, socket) })
}

/** Requests watched by listeners, while pending. */
const fallbackPending = new WeakMap<object, Pending>()

function onSocket (ctx: HttpClientContext, socket: Socket): void {
  ctx.newConnection = firstUse(socket)
  if (socket.connecting) socket.once('connect', () => { addresses(ctx, socket) })
  else addresses(ctx, socket)
}

function patchEmit (proto: Record<string, unknown>): boolean {
  const patched = setEmit(proto, (original) => function (this: unknown, event: unknown, arg: unknown): unknown {
    if (event === 'socket' || event === 'error') {
      const entry = (this as Watched)[kPending]
      if (entry !== undefined) {
        try {
          if (event === 'socket') onSocket(entry.ctx, arg as Socket)
          else {
            (this as Watched)[kPending] = undefined
            settle(entry.ctx, entry.startedAt, arg)
          }
        } catch (err) {
          internalError('watching an outbound request', err)
        }
      }
    }
    return original.apply(this, arguments as unknown as unknown[])
  })
  if (patched) patchedPrototypes.add(proto)
  return patched
}

function unpatchPrototypes (): void {
  for (const proto of patchedPrototypes) restoreEmit(proto)
  patchedPrototypes.clear()
}

/** The entry of a request still pending, taken off it (so it settles once). */
function takePending (request: object): Pending | undefined {
  const entry = (request as Watched)[kPending]
  if (entry !== undefined) {
    (request as Watched)[kPending] = undefined
    return entry
  }
  const found = fallbackPending.get(request)
  if (found !== undefined) fallbackPending.delete(request)
  return found
}

function onResponse (message: unknown): void {
  try {
    const { request, response } = message as { request: object, response: IncomingMessage }
    const entry = takePending(request)
    if (entry === undefined) return
    entry.ctx.status = response.statusCode
    if (entry.ctx.remote === undefined) addresses(entry.ctx, response.socket)
    settle(entry.ctx, entry.startedAt, undefined)
  } catch (err) {
    internalError('reading an http response', err)
  }
}

function addresses (ctx: HttpClientContext, socket: Socket | null | undefined): void {
  if (socket === null || socket === undefined) return
  const { localAddress, localPort, remoteAddress, remotePort } = socket
  if (localAddress !== undefined && localPort !== undefined) ctx.local = { address: localAddress, port: localPort }
  if (remoteAddress !== undefined && remotePort !== undefined) ctx.remote = { address: remoteAddress, port: remotePort }
}

function settle (ctx: HttpClientContext, startedAt: number, err: unknown): void {
  if (err instanceof Error) ctx.error = err
  ctx.durationMs = performance.now() - startedAt
  publish(end, ctx)
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
