/**
 * The incoming request a piece of code runs for: an AsyncLocalStorage<RequestContext> that the
 * http-server instrumentation enters for each request, and the bounded flattening of what the
 * attacker sent (query, path, headers, cookies, then params and bodies from the frameworks) into
 * `RequestInput`s with dotted names (`body.user.email`, `query.ids.0`).
 *
 * Nothing is parsed until someone looks: the request's own inputs (query, path, headers,
 * cookies) come from a one-shot reader run at the first read of `ctx.inputs`. Frameworks parse
 * bodies and params after the request has started, so they register readers (`addInputReader`,
 * `addRouteReader`) instead of copying eagerly: reading `ctx.inputs` (or `ctx.route`) runs them,
 * and they only look at a property and compare identities until something new appeared.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import type { InputSource, RequestContext, RequestInput } from './channels'
import { internalError } from './warn'

/** At most this many inputs per request, however large the body. */
export const MAX_INPUTS = 256
/** Input values are cut to this many characters. */
export const MAX_VALUE = 4096
/** Objects nested deeper than this are not flattened further. */
export const MAX_DEPTH = 8
/** Nodes visited per addInputs() call, so a body of a million empty objects costs little. */
const MAX_VISITS = 4096

const storage = new AsyncLocalStorage<RequestContext>()

/** Reads what a framework knows now; runs when `inputs` (or, for route readers, `route`) is read. */
export type InputReader = (ctx: RequestContext) => void

interface State {
  inputs: RequestInput[]
  route: string | undefined
  /** (source, name, value) of the inputs added from `params` and `body`, which readers re-add. */
  seen: Set<string> | undefined
  /** Runs once, at the first read of `inputs`: the request's own inputs, parsed only if someone looks. */
  initial: InputReader | undefined
  readers: InputReader[]
  /** Objects a framework parses params and body into (its request), read at each refresh. */
  sources: ParsedSource[] | undefined
  routeReaders: InputReader[]
  reading: boolean
  req: unknown
  res: unknown
}

const kState = Symbol('sidewatch.requestState')
type WithState = RequestContext & { [kState]?: State }

export function currentRequest (): RequestContext | undefined {
  return storage.getStore()
}

/** Runs `fn` with `ctx` as the current request. */
export function runWithRequest<R> (ctx: RequestContext, fn: () => R): R {
  return storage.run(ctx, fn)
}

/**
 * Request ids: 64 random bits per process and a counter (`3f9c0a1be2d47a10-1k`), made when first
 * read — most requests are only counted, and never need one (a UUID costs ~1 µs per request).
 */
const ID_PREFIX = randomBytes(8).toString('hex')
let requestCounter = 0

export type RequestFields = Omit<RequestContext, 'inputs' | 'route' | 'id'> & { id?: string }

/** The parts of a net.Socket the context reads its addresses from. */
export interface SocketAddresses { remoteAddress?: string, remotePort?: number, localAddress?: string, localPort?: number }

type Endpoint = { address: string, port: number } | undefined
/** Not read yet (undefined is a valid answer: the socket had no address). */
const UNREAD = Symbol('unread')

/**
 * A RequestContext whose `inputs` and `route` run the framework readers when read, and whose
 * `client` and `local` addresses are read off the socket when first asked for (most requests
 * never are). Marking it `notable` reads them at once, while the socket is surely still open.
 */
class LiveRequestContext implements RequestContext {
  #id: string | undefined
  readonly #n: number
  method: string
  url: string
  userAgent?: string
  blocked?: boolean
  #notable: boolean | undefined
  #socket: SocketAddresses | undefined
  #client: Endpoint | typeof UNREAD
  #local: Endpoint | typeof UNREAD
  readonly [kState]: State

  constructor (fields: RequestFields, state: State, socket?: SocketAddresses) {
    this.#id = fields.id
    this.#n = ++requestCounter
    this.method = fields.method
    this.url = fields.url
    this.#socket = socket
    this.#client = fields.client ?? (socket === undefined ? undefined : UNREAD)
    this.#local = fields.local ?? (socket === undefined ? undefined : UNREAD)
    if (fields.userAgent !== undefined) this.userAgent = fields.userAgent
    if (fields.blocked !== undefined) this.blocked = fields.blocked
    if (fields.notable !== undefined) this.#notable = fields.notable
    this[kState] = state
  }

  get client (): Endpoint {
    if (this.#client === UNREAD) this.#client = address(this.#socket?.remoteAddress, this.#socket?.remotePort)
    return this.#client
  }

  set client (value: Endpoint) { this.#client = value }

  get local (): Endpoint {
    if (this.#local === UNREAD) this.#local = address(this.#socket?.localAddress, this.#socket?.localPort)
    return this.#local
  }

  set local (value: Endpoint) { this.#local = value }

  get notable (): boolean | undefined { return this.#notable }
  set notable (value: boolean | undefined) {
    this.#notable = value
    if (value === true) { void this.client; void this.local }
  }

  get id (): string { return (this.#id ??= `${ID_PREFIX}-${this.#n.toString(36)}`) }
  set id (value: string) { this.#id = value }
  get inputs (): RequestInput[] { refresh(this); return this[kState].inputs }
  set inputs (value: RequestInput[]) { this[kState].inputs = value }
  get route (): string | undefined { refreshRoute(this); return this[kState].route }
  set route (value: string | undefined) { this[kState].route = value }

  toJSON (): RequestContext {
    const { id, method, url, client, local, userAgent, blocked, notable } = this
    return { id, method, url, route: this.route, client, local, userAgent, inputs: this.inputs, blocked, notable }
  }
}

/**
 * A new RequestContext whose `inputs` and `route` are accessors over private state, so readers
 * registered by frameworks are consulted when a detector looks. `req`/`res` are kept for blocking.
 */
export function createRequestContext (fields: RequestFields, req?: unknown, res?: unknown, initial?: InputReader, socket?: SocketAddresses): RequestContext {
  return new LiveRequestContext(fields, {
    inputs: [], route: undefined, seen: undefined, initial, readers: [], sources: undefined, routeReaders: [], reading: false, req, res,
  }, socket)
}

function address (host: unknown, port: unknown): Endpoint {
  return typeof host === 'string' ? { address: host, port: typeof port === 'number' ? port : 0 } : undefined
}

/** The Node request and response objects of a context made by createRequestContext. */
export function requestObjects (ctx: RequestContext): { req: unknown, res: unknown } | undefined {
  const state = (ctx as WithState)[kState]
  return state === undefined ? undefined : { req: state.req, res: state.res }
}

/** Registers a reader of inputs once per (ctx, reader); contexts not made here just run it now. */
export function addInputReader (ctx: RequestContext, reader: InputReader): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined) { runReader(ctx, reader); return }
  if (!state.readers.includes(reader)) state.readers.push(reader)
}

/** Registers a reader of the route (run when `route` is read, e.g. by the reporter at finish). */
export function addRouteReader (ctx: RequestContext, reader: InputReader): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined) { runReader(ctx, reader); return }
  if (!state.routeReaders.includes(reader)) state.routeReaders.push(reader)
}

/** Runs the one-shot initial reader, the input readers and the parsed sources (a no-op while they run). */
export function refresh (ctx: RequestContext): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined || state.reading) return
  const initial = state.initial
  if (initial === undefined && state.readers.length === 0 && state.sources === undefined) return
  state.reading = true
  try {
    if (initial !== undefined) {
      state.initial = undefined
      runReader(ctx, initial)
    }
    for (const reader of state.readers) runReader(ctx, reader)
    if (state.sources !== undefined) for (const source of state.sources) readSource(ctx, source)
  } finally {
    state.reading = false
  }
}

/** Where a framework keeps what it parsed: `get(holder)` gives the params and body now. */
export type ParsedGetter = (holder: object) => { params: unknown, body: unknown }
interface ParsedSource { holder: object, get: ParsedGetter, params: unknown, body: unknown }

/**
 * Watches `holder` (a framework's request object) for the params and body the framework parses
 * into it, once per (ctx, holder): each refresh compares their identities with what was read
 * last, so reading again after nothing changed costs two property reads. Contexts not made here
 * read them now.
 */
export function addParsedSource (ctx: RequestContext, holder: object, get: ParsedGetter): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined) { readSource(ctx, { holder, get, params: undefined, body: undefined }); return }
  const sources = state.sources ??= []
  for (const known of sources) if (known.holder === holder) return
  sources.push({ holder, get, params: undefined, body: undefined })
}

function readSource (ctx: RequestContext, source: ParsedSource): void {
  try {
    const now = source.get(source.holder)
    if (now.params !== source.params) {
      source.params = now.params
      if (now.params !== null && typeof now.params === 'object') addInputs(ctx, 'params', now.params)
    }
    if (now.body !== source.body) {
      source.body = now.body
      if (now.body !== undefined && now.body !== null) addInputs(ctx, 'body', now.body)
    }
  } catch (err) {
    internalError('reading request inputs', err)
  }
}

function refreshRoute (ctx: RequestContext): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined || state.reading || state.routeReaders.length === 0) return
  state.reading = true
  try {
    for (const reader of state.routeReaders) runReader(ctx, reader)
  } finally {
    state.reading = false
  }
}

function runReader (ctx: RequestContext, reader: InputReader): void {
  try {
    reader(ctx)
  } catch (err) {
    internalError('reading request inputs', err)
  }
}

/** Sets the route without running readers (they call this). */
export function setRoute (ctx: RequestContext, route: string | undefined): void {
  const state = (ctx as WithState)[kState]
  if (state === undefined) ctx.route = route
  else state.route = route
}

/**
 * Flattens `value` into inputs named `<prefix>.<key>.<index>...` (prefix defaults to the source).
 * Strings, numbers and booleans become inputs; Buffers are decoded as UTF-8. For the sources
 * frameworks fill late (`params`, `body`) the same (source, name, value) is added once, so
 * readers may run as often as they like.
 */
export function addInputs (ctx: RequestContext, source: InputSource, value: unknown, prefix: string = source): void {
  const state = (ctx as WithState)[kState]
  const inputs = state === undefined ? ctx.inputs : state.inputs
  if (inputs.length >= MAX_INPUTS) return
  let seen: Set<string> | undefined
  if (state !== undefined && (source === 'params' || source === 'body')) seen = state.seen ??= new Set()
  const walk = { visits: 0 }
  try {
    flatten(inputs, seen, source, prefix, value, 0, walk)
  } catch (err) {
    internalError('flattening request inputs', err)
  }
}

/** Adds one input with the name as given. */
export function addInput (ctx: RequestContext, source: InputSource, name: string, value: string): void {
  addInputs(ctx, source, value, name)
}

function flatten (inputs: RequestInput[], seen: Set<string> | undefined, source: InputSource,
  name: string, value: unknown, depth: number, walk: { visits: number }): void {
  if (inputs.length >= MAX_INPUTS || ++walk.visits > MAX_VISITS) return
  switch (typeof value) {
    case 'string': push(inputs, seen, source, name, value); return
    case 'number': case 'boolean': case 'bigint': push(inputs, seen, source, name, String(value)); return
    case 'object': break
    default: return
  }
  if (value === null || depth >= MAX_DEPTH) return
  if (Buffer.isBuffer(value)) { push(inputs, seen, source, name, value.subarray(0, MAX_VALUE).toString('utf8')); return }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && inputs.length < MAX_INPUTS && walk.visits < MAX_VISITS; i++) {
      flatten(inputs, seen, source, `${name}.${i}`, value[i], depth + 1, walk)
    }
    return
  }
  if (value instanceof URLSearchParams) { addSearchParams(inputs, seen, source, name, value); return }
  for (const key in value as Record<string, unknown>) {
    if (inputs.length >= MAX_INPUTS || walk.visits >= MAX_VISITS) return
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue
    flatten(inputs, seen, source, `${name}.${key}`, (value as Record<string, unknown>)[key], depth + 1, walk)
  }
}

/** Repeated keys become `name.key.0`, `name.key.1` (as the frameworks' parsed query arrays). */
function addSearchParams (inputs: RequestInput[], seen: Set<string> | undefined, source: InputSource, name: string, params: URLSearchParams): void {
  const counts = new Map<string, number>()
  for (const key of params.keys()) counts.set(key, (counts.get(key) ?? 0) + 1)
  const index = new Map<string, number>()
  for (const [key, value] of params) {
    if (inputs.length >= MAX_INPUTS) return
    if ((counts.get(key) ?? 0) > 1) {
      const i = index.get(key) ?? 0
      index.set(key, i + 1)
      push(inputs, seen, source, `${name}.${key}.${i}`, value)
    } else {
      push(inputs, seen, source, `${name}.${key}`, value)
    }
  }
}

function push (inputs: RequestInput[], seen: Set<string> | undefined, source: InputSource, name: string, value: string): void {
  if (inputs.length >= MAX_INPUTS) return
  const cut = value.length > MAX_VALUE ? value.slice(0, MAX_VALUE) : value
  if (seen !== undefined) {
    const key = `${source}\0${name}\0${cut}`
    if (seen.has(key)) return
    seen.add(key)
  }
  inputs.push({ name: name.length > 1024 ? name.slice(0, 1024) : name, value: cut, source })
}
