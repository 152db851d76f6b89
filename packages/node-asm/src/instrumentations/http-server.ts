/**
 * http / https / http2 (compat API) servers: wraps `Server.prototype.emit` (as dd-trace does) so that each 'request'
 * event runs inside its RequestContext, publishes `sidewatch:http.server:start` there, and
 * `:finish` once when the response finishes or the connection closes.
 *
 * Stream events of the request ('data', 'end') are emitted by the HTTP parser outside the
 * 'request' emit, where AsyncLocalStorage would lose the context (body parsers call the next
 * middleware from 'end'): the request's own `emit` is wrapped to re-enter it.
 * Without subscribers the wrapper is one branch and the original emit.
 */
import { performance } from 'node:perf_hooks'
import { channels, type HttpServerContext, type RequestContext, type TypedChannel } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { createRequestContext, currentRequest, runWithRequest, type RequestFields, type SocketAddresses } from '../request-context'
import { addHeaderInputs, addUrlInputs } from '../request-inputs'
import { internalError } from '../warn'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Exports = Record<string, unknown>

interface IncomingMessage {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  socket?: SocketAddresses | null
  emit: AnyFunction
}
interface ServerResponse {
  statusCode: number
  headersSent: boolean
  writableEnded?: boolean
  once (event: string, fn: () => void): unknown
}

const kOriginal = Symbol('sidewatch.original')
/** Set on a prototype whose `emit` we defined (it had none of its own before). */
const kAdded = Symbol('sidewatch.addedEmit')
const start = channels.httpServerStart
const finish = channels.httpServerFinish

function serverDefinition (name: 'http' | 'https' | 'http2', prototypes: (moduleExports: Exports) => Array<Record<string, unknown>>): InstrumentationDefinition {
  return {
    name,
    builtin: true,
    patch (moduleExports: Exports): void {
      for (const proto of prototypes(moduleExports)) patchEmit(proto)
    },
    unpatch (moduleExports: Exports): void {
      for (const proto of prototypes(moduleExports)) unpatchEmit(proto)
      unpatchRequestPrototypes()
    },
  }
}

export const httpServerInstrumentation = serverDefinition('http', serverPrototype)
export const httpsServerInstrumentation = serverDefinition('https', serverPrototype)
/**
 * http2's compat API ('request' with Http2ServerRequest/Response). Its server classes are not
 * exported: their prototypes are taken from one unlistened server of each kind, made once.
 */
export const http2ServerInstrumentation = serverDefinition('http2', http2Prototypes)
/** All three: what index.ts enables. */
export const httpServerInstrumentations: readonly InstrumentationDefinition[] =
  [httpServerInstrumentation, httpsServerInstrumentation, http2ServerInstrumentation]

function patchEmit (proto: Record<string, unknown>): void {
  if (typeof proto.emit !== 'function' || isWrapped(proto.emit)) return
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit')
  const original = proto.emit as AnyFunction
  Object.defineProperty(proto, 'emit', { value: wrapEmit(original), writable: true, configurable: true, enumerable: own })
  if (!own) Object.defineProperty(proto, kAdded, { value: true, configurable: true })
}

function unpatchEmit (proto: Record<string, unknown>): void {
  if (!isWrapped(proto.emit)) return
  if (Object.prototype.hasOwnProperty.call(proto, kAdded)) {
    delete proto.emit
    delete (proto as Record<symbol, unknown>)[kAdded]
  } else {
    proto.emit = (proto.emit as unknown as Record<symbol, unknown>)[kOriginal]
  }
}

export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

function serverPrototype (moduleExports: Exports): Array<Record<string, unknown>> {
  const Server = moduleExports.Server
  if (typeof Server !== 'function') return []
  const proto = (Server as { prototype?: Record<string, unknown> }).prototype
  return typeof proto?.emit === 'function' ? [proto] : []
}

const h2Prototypes = new WeakMap<Exports, Array<Record<string, unknown>>>()

function http2Prototypes (moduleExports: Exports): Array<Record<string, unknown>> {
  let found = h2Prototypes.get(moduleExports)
  if (found === undefined) {
    found = []
    for (const factory of ['createServer', 'createSecureServer']) {
      const create = moduleExports[factory]
      if (typeof create !== 'function') continue
      const server = (create as () => object).call(moduleExports)
      found.push(Object.getPrototypeOf(server) as Record<string, unknown>)
    }
    h2Prototypes.set(moduleExports, found)
  }
  return found
}

function wrapEmit (original: AnyFunction): AnyFunction {
  const emit = function (this: unknown, event: unknown): unknown {
    if (event !== 'request' || !(start.hasSubscribers || finish.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    const args = arguments as unknown as unknown[]
    let ctx: HttpServerContext | undefined
    try {
      ctx = describeRequest(args[1] as IncomingMessage, args[2] as ServerResponse)
    } catch (err) {
      internalError('describing an incoming request', err)
    }
    if (ctx === undefined) return original.apply(this, args)
    const request = ctx.request
    const self = this
    return runWithRequest(request, () => {
      try {
        bindRequestEvents(args[1] as IncomingMessage, request)
        watchResponse(ctx, args[2] as ServerResponse)
      } catch (err) {
        internalError('watching an incoming request', err)
      }
      publish(start, ctx)
      return original.apply(self, args)
    })
  }
  Object.defineProperty(emit, 'length', { value: original.length, configurable: true })
  Object.defineProperty(emit, 'name', { value: original.name, configurable: true })
  Object.defineProperty(emit, kOriginal, { value: original })
  return emit
}

function describeRequest (req: IncomingMessage, res: ServerResponse): HttpServerContext {
  const url = typeof req.url === 'string' ? req.url : '/'
  const fields: RequestFields = { method: typeof req.method === 'string' ? req.method : 'GET', url }
  const headers = req.headers
  const ua = headers['user-agent']
  if (typeof ua === 'string') fields.userAgent = ua
  const socket = req.socket ?? undefined
  // http2 compat: the socket is a proxy onto the session that stops answering once the stream
  // closes, so its addresses are read now; a net.Socket keeps them, and is read only if needed.
  const lazy = socket !== undefined && !('stream' in req)
  if (!lazy && socket !== undefined) {
    if (typeof socket.remoteAddress === 'string') fields.client = { address: socket.remoteAddress, port: socket.remotePort ?? 0 }
    if (typeof socket.localAddress === 'string') fields.local = { address: socket.localAddress, port: socket.localPort ?? 0 }
  }
  const request = createRequestContext(fields, req, res, (ctx) => {
    addUrlInputs(ctx, url)
    addHeaderInputs(ctx, headers)
  }, lazy ? socket : undefined)
  return { request, req, res, startedAt: performance.now() }
}

/**
 * The request's events ('data', 'end', 'error', 'close') run in its context, wherever the parser
 * emits them: the request's prototype gets an `emit` (once per prototype, not a closure per
 * request) that re-enters the context stored on the request, when the event has listeners and
 * the context is not current already.
 */
const kRequest = Symbol('sidewatch.request')
const patchedRequestPrototypes = new Set<Record<string, unknown>>()

function bindRequestEvents (req: IncomingMessage, request: RequestContext): void {
  (req as unknown as Record<symbol, unknown>)[kRequest] = request
  const proto = Object.getPrototypeOf(req) as Record<string, unknown> | null
  if (proto === null || isWrapped(proto.emit)) return
  patchRequestEmit(proto)
}

function patchRequestEmit (proto: Record<string, unknown>): void {
  const original = proto.emit as AnyFunction
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit')
  const emit = function (this: { listenerCount: (event: unknown) => number }, event: unknown): unknown {
    const request = (this as unknown as Record<symbol, RequestContext | undefined>)[kRequest]
    if (request === undefined || this.listenerCount(event) === 0 || currentRequest() === request) {
      return original.apply(this, arguments as unknown as unknown[])
    }
    const args = arguments as unknown as unknown[]
    return runWithRequest(request, () => original.apply(this, args))
  }
  Object.defineProperty(emit, kOriginal, { value: original })
  Object.defineProperty(proto, 'emit', { value: emit, writable: true, configurable: true, enumerable: own })
  if (!own) Object.defineProperty(proto, kAdded, { value: true, configurable: true })
  patchedRequestPrototypes.add(proto)
}

/** Restores the request and response prototypes (with the servers', at disable). */
function unpatchRequestPrototypes (): void {
  for (const proto of patchedRequestPrototypes) unpatchEmit(proto)
  patchedRequestPrototypes.clear()
  for (const proto of patchedResponsePrototypes) unpatchEmit(proto)
  patchedResponsePrototypes.clear()
}

/**
 * The end of a request: a ServerResponse emits 'close' once, after 'finish' when the response
 * was sent, or when the connection went away first (then `status` stays unset if nothing was
 * sent). The response's prototype gets an `emit` (once per prototype) that notices 'close' for a
 * response carrying a context, before its listeners run — where a listener added at the start
 * of the request would have run — without a listener and its closure per request. A response
 * with an `emit` of its own, or whose prototype cannot be changed, gets a 'close' listener.
 */
const kResponse = Symbol('sidewatch.response')
const patchedResponsePrototypes = new Set<Record<string, unknown>>()

function watchResponse (ctx: HttpServerContext, res: ServerResponse): void {
  const proto = Object.getPrototypeOf(res) as Record<string, unknown> | null
  if (proto !== null && !Object.prototype.hasOwnProperty.call(res, 'emit') && (isWrapped(proto.emit) || patchResponseEmit(proto))) {
    (res as unknown as Record<symbol, HttpServerContext | undefined>)[kResponse] = ctx
    return
  }
  res.once('close', () => { finishResponse(ctx, res) })
}

function patchResponseEmit (proto: Record<string, unknown>): boolean {
  const original = proto.emit
  if (typeof original !== 'function') return false
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit')
  const emit = function (this: ServerResponse, event: unknown): unknown {
    if (event === 'close') {
      const ctx = (this as unknown as Record<symbol, HttpServerContext | undefined>)[kResponse]
      if (ctx !== undefined) {
        (this as unknown as Record<symbol, HttpServerContext | undefined>)[kResponse] = undefined
        finishResponse(ctx, this)
      }
    }
    return (original as AnyFunction).apply(this, arguments as unknown as unknown[])
  }
  Object.defineProperty(emit, kOriginal, { value: original })
  try {
    Object.defineProperty(proto, 'emit', { value: emit, writable: true, configurable: true, enumerable: own })
    if (!own) Object.defineProperty(proto, kAdded, { value: true, configurable: true })
  } catch {
    return false // a frozen prototype
  }
  patchedResponsePrototypes.add(proto)
  return true
}

function finishResponse (ctx: HttpServerContext, res: ServerResponse): void {
  try {
    if (res.writableEnded === true || res.headersSent) ctx.status = res.statusCode
    ctx.durationMs = performance.now() - ctx.startedAt
  } catch (err) {
    internalError('reading a finished response', err)
  }
  publish(finish, ctx)
}

function publish (channel: TypedChannel<HttpServerContext>, ctx: HttpServerContext): void {
  if (!channel.hasSubscribers) return
  try {
    channel.publish(ctx)
  } catch (err) {
    internalError(`publishing on ${channel.name}`, err)
  }
}
