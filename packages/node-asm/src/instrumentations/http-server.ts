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
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { channels, type HttpServerContext, type RequestContext, type TypedChannel } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { createRequestContext, currentRequest, runWithRequest } from '../request-context'
import { addHeaderInputs, addUrlInputs } from '../request-inputs'
import { internalError } from '../warn'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Exports = Record<string, unknown>

interface Socketish { remoteAddress?: string, remotePort?: number, localAddress?: string, localPort?: number }
interface IncomingMessage {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  socket?: Socketish | null
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
  const socket = req.socket ?? undefined
  const fields: Omit<RequestContext, 'inputs' | 'route'> = {
    id: randomUUID(),
    method: typeof req.method === 'string' ? req.method : 'GET',
    url,
  }
  if (typeof socket?.remoteAddress === 'string') fields.client = { address: socket.remoteAddress, port: socket.remotePort ?? 0 }
  if (typeof socket?.localAddress === 'string') fields.local = { address: socket.localAddress, port: socket.localPort ?? 0 }
  const ua = req.headers['user-agent']
  if (typeof ua === 'string') fields.userAgent = ua
  const headers = req.headers
  const request = createRequestContext(fields, req, res, (ctx) => {
    addUrlInputs(ctx, url)
    addHeaderInputs(ctx, headers)
  })
  return { request, req, res, startedAt: Date.now() }
}

/** The request's events ('data', 'end', 'error', 'close') run in its context, wherever the parser emits them. */
function bindRequestEvents (req: IncomingMessage, request: RequestContext): void {
  const emit = req.emit
  req.emit = function (this: unknown): unknown {
    if (currentRequest() === request) return emit.apply(this, arguments as unknown as unknown[])
    const args = arguments as unknown as unknown[]
    return runWithRequest(request, () => emit.apply(this, args))
  }
}

function watchResponse (ctx: HttpServerContext, res: ServerResponse): void {
  const began = performance.now()
  let done = false
  const onDone = (): void => {
    if (done) return
    done = true
    try {
      if (res.writableEnded === true || res.headersSent) ctx.status = res.statusCode
      ctx.durationMs = performance.now() - began
    } catch (err) {
      internalError('reading a finished response', err)
    }
    publish(finish, ctx)
  }
  res.once('finish', onDone)
  res.once('close', onDone)
}

function publish (channel: TypedChannel<HttpServerContext>, ctx: HttpServerContext): void {
  if (!channel.hasSubscribers) return
  try {
    channel.publish(ctx)
  } catch (err) {
    internalError(`publishing on ${channel.name}`, err)
  }
}
