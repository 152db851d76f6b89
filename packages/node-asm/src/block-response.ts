/**
 * Answering a request the SDK blocks: 403 with a JSON body, or an HTML page when the client
 * prefers HTML, then the response is sealed so that nothing the application does afterwards (its
 * own try/catch answering 500, an error handler, a late `res.end`) can change what was sent.
 * dd-trace's blocking lost exactly there: the route caught the abort and answered 500.
 *
 * When the headers are already out nothing is written or destroyed: the request is only marked
 * blocked, and the caller reports it.
 */
import type { RequestContext } from './channels'
import { currentRequest, requestObjects } from './request-context'
import { internalError } from './warn'

export type BlockOutcome =
  /** 403 sent, response sealed. */
  | 'answered'
  /** The application had already sent headers: marked blocked, nothing written. */
  | 'headers-sent'
  /** Already blocked earlier in this request. */
  | 'already-blocked'
  /** No response object to answer on (or writing failed). */
  | 'no-response'

interface Response {
  headersSent: boolean
  writableEnded?: boolean
  destroyed?: boolean
  statusCode: number
  writeHead (status: number, headers: Record<string, string | number>): unknown
  end (body: string): unknown
}

const kBlocked = Symbol('sidewatch.blocked')
const SEALED_METHODS = ['writeHead', 'write', 'end', 'setHeader', 'removeHeader', 'appendHeader', 'setHeaders', 'flushHeaders', 'writeContinue', 'writeProcessing', 'writeEarlyHints', 'addTrailers'] as const

/** Blocks the request running now (the current RequestContext), if any. */
export function blockCurrentRequest (): BlockOutcome {
  const ctx = currentRequest()
  const objects = ctx === undefined ? undefined : requestObjects(ctx)
  if (ctx === undefined || objects === undefined) return 'no-response'
  return blockRequest(objects.req, objects.res, ctx)
}

/** Answers 403 on `res` (see the module comment); never throws. */
export function blockRequest (req: unknown, res: unknown, ctx: RequestContext | undefined = currentRequest()): BlockOutcome {
  if (ctx !== undefined) ctx.blocked = true
  if (res === null || typeof res !== 'object') return 'no-response'
  const response = res as Response & { [kBlocked]?: boolean }
  if (response[kBlocked] === true) return 'already-blocked'
  // (kBlocked is checked first: a sealed response reads headersSent false.)
  try {
    if (response.headersSent || response.writableEnded === true || response.destroyed === true) return 'headers-sent'
    response[kBlocked] = true
    const html = prefersHtml(acceptOf(req))
    const body = html ? htmlPage(ctx?.id) : JSON.stringify({ error: 'blocked by sidewatch', request_id: ctx?.id ?? null })
    response.writeHead(403, {
      'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    })
    response.end(body)
    seal(response)
    return 'answered'
  } catch (err) {
    internalError('answering a blocked request', err)
    return 'no-response'
  }
}

/** True when the request was blocked (by blockRequest on its response). */
export function isBlockedResponse (res: unknown): boolean {
  return res !== null && typeof res === 'object' && (res as { [kBlocked]?: boolean })[kBlocked] === true
}

/** HTML when the Accept header lists text/html before (or without) application/json. */
export function prefersHtml (accept: string | undefined): boolean {
  if (accept === undefined) return false
  const types = accept.toLowerCase().split(',').map((part) => part.split(';')[0]?.trim() ?? '')
  const html = types.findIndex((t) => t === 'text/html' || t === 'application/xhtml+xml')
  if (html === -1) return false
  const json = types.findIndex((t) => t === 'application/json' || t.endsWith('+json'))
  return json === -1 || html < json
}

function acceptOf (req: unknown): string | undefined {
  const headers = (req as { headers?: Record<string, unknown> } | null)?.headers
  const accept = headers?.accept
  return typeof accept === 'string' ? accept : undefined
}

/**
 * Later writes become no-ops, and the status stays 403 whatever the app assigns. `headersSent`
 * reads false again: error handlers that find headers sent destroy the socket (Express's
 * finalhandler does), which can cut the 403 still in the socket's buffer (TLS, slow clients);
 * told "not sent", they answer instead, into the sealed no-op methods.
 */
function seal (res: Response): void {
  const target = res as unknown as Record<string, unknown>
  for (const method of SEALED_METHODS) {
    if (typeof target[method] !== 'function') continue
    Object.defineProperty(target, method, { value: sealed(method, res), configurable: true, writable: true })
  }
  const status = res.statusCode
  Object.defineProperty(target, 'statusCode', { get: () => status, set: () => {}, configurable: true })
  Object.defineProperty(target, 'statusMessage', { get: () => 'Forbidden', set: () => {}, configurable: true })
  Object.defineProperty(target, 'headersSent', { get: () => false, configurable: true })
}

function sealed (method: string, res: Response): (...args: unknown[]) => unknown {
  return function (...args: unknown[]): unknown {
    const last = args[args.length - 1]
    if (method === 'end' || method === 'write') {
      if (typeof last === 'function') process.nextTick(last as () => void)
      return method === 'write' ? true : res
    }
    return res
  }
}

function htmlPage (id: string | undefined): string {
  const ref = id === undefined ? '' : `<p>Request id: <code>${id.replace(/[^A-Za-z0-9-]/g, '')}</code></p>`
  return '<!doctype html><html><head><meta charset="utf-8"><title>403 Forbidden</title></head>' +
    `<body><h1>403 Forbidden</h1><p>This request was blocked by sidewatch.</p>${ref}</body></html>`
}
