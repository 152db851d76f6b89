/** The `http.client` wire event, built when an outbound request has its answer or fails. */
import type { HttpClientEvent } from '@sidewatch/proto'
import type { HttpClientContext } from '../channels'
import { redactUrl } from '../redact'
import { cut, endpoint, envelope, errorText, type Identity } from './envelope'

export function httpClientEvent (identity: Identity, ctx: HttpClientContext, requestId?: string): HttpClientEvent {
  const http: HttpClientEvent['http'] = { method: cut(ctx.method, 32), url: cut(redactUrl(ctx.url), 8192), host: cut(ctx.host, 512) }
  if (ctx.port !== undefined && Number.isInteger(ctx.port) && ctx.port >= 0 && ctx.port <= 65535) http.port = ctx.port
  if (ctx.status !== undefined && ctx.status >= 100 && ctx.status <= 999) http.status = ctx.status
  if (ctx.error !== undefined) http.error = cut(errorText(ctx.error), 1024)
  if (ctx.durationMs !== undefined && ctx.durationMs >= 0) http.duration_ms = Math.round(ctx.durationMs * 1000) / 1000
  const local = endpoint(ctx.local)
  if (local !== undefined) http.local = local
  const remote = endpoint(ctx.remote)
  if (remote !== undefined) http.remote = remote
  return { ...envelope(identity, requestId), kind: 'http.client', http }
}
