/**
 * The `http.request` wire event, built at the end of an incoming request (channel
 * `sidewatch:http.server:finish`). The URL leaves the process redacted.
 */
import type { HttpRequestEvent } from '@sidewatch/proto'
import type { HttpServerContext } from '../channels'
import { redactUrl } from '../redact'
import { cut, endpoint, envelope, type Identity } from './envelope'

export function httpRequestEvent (identity: Identity, ctx: HttpServerContext): HttpRequestEvent {
  const request = ctx.request
  const http: HttpRequestEvent['http'] = {
    method: cut(request.method, 32),
    url: cut(redactUrl(request.url), 8192),
  }
  const route = request.route
  if (route !== undefined) http.route = cut(route, 1024)
  if (ctx.status !== undefined && Number.isInteger(ctx.status) && ctx.status >= 100 && ctx.status <= 999) http.status = ctx.status
  if (ctx.durationMs !== undefined && ctx.durationMs >= 0) http.duration_ms = Math.round(ctx.durationMs * 1000) / 1000
  const client = endpoint(request.client)
  if (client !== undefined) http.client = client
  const local = endpoint(request.local)
  if (local !== undefined) http.local = local
  if (request.userAgent !== undefined) http.user_agent = cut(request.userAgent, 1024)
  if (request.blocked === true) http.blocked = true
  return { ...envelope(identity, request.id), kind: 'http.request', http }
}
