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
import { isOurEmit, restoreEmit, setEmit } from './prototype-emit'

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

const start = channels.httpServerStart
const finish = channels.httpServerFinish

function serverDefinition (name: 'http' | 'https' | 'http2', prototypes: (moduleExports: Exports) => Array<Record<string, unknown>>): InstrumentationDefinition {
  return {
    name,
    builtin: true,
    patch (moduleExports: Exports): void {
      for (const proto of prototypes(moduleExports)) setEmit(proto, wrapEmit)
    },
    unpatch (moduleExports: Exports): void {
      for (const proto of prototypes(moduleExports)) restoreEmit(proto)
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

export { isOurEmit as isWrapped }

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
  if (proto === null || isOurEmit(proto.emit)) return
  patchRequestEmit(proto)
}

function patchRequestEmit (proto: Record<string, unknown>): void {
  const patched = setEmit(proto, (original) => function (this: unknown, event: unknown): unknown {
    const request = (this as Record<symbol, RequestContext | undefined>)[kRequest]
    if (request === undefined || (this as { listenerCount: (event: unknown) => number }).listenerCount(event) === 0 || currentRequest() === request) {
      return original.apply(this, arguments as unknown as unknown[])
    }
    const args = arguments as unknown as unknown[]
    return runWithRequest(request, () => original.apply(this, args))
  })
  if (patched) patchedRequestPrototypes.add(proto)
}

/** Restores the request and response prototypes (with the servers', at disable). */
function unpatchRequestPrototypes (): void {
  for (const proto of patchedRequestPrototypes) restoreEmit(proto)
  patchedRequestPrototypes.clear()
  for (const proto of patchedResponsePrototypes) restoreEmit(proto)
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
  if (proto !== null && !Object.prototype.hasOwnProperty.call(res, 'emit') && (isOurEmit(proto.emit) || patchResponseEmit(proto))) {
    (res as unknown as Record<symbol, HttpServerContext | undefined>)[kResponse] = ctx
    return
  }
  res.once('close', () => { finishResponse(ctx, res) })
}

function patchResponseEmit (proto: Record<string, unknown>): boolean {
  const patched = setEmit(proto, (original) => function (this: unknown, event: unknown): unknown {
    if (event === 'close') {
      const ctx = (this as Record<symbol, HttpServerContext | undefined>)[kResponse]
      if (ctx !== undefined) {
        (this as Record<symbol, HttpServerContext | undefined>)[kResponse] = undefined
        finishResponse(ctx, this as ServerResponse)
      }
    }
    return original.apply(this, arguments as unknown as unknown[])
  })
  if (patched) patchedResponsePrototypes.add(proto)
  return patched
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
