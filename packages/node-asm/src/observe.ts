/**
 * What the SDK reports besides attacks: subscribers on the `end`/`finish` channels turn calls
 * into events, each stamped with the id of the request it ran in.
 *
 * Volume is kept to what a security reader follows up, because every reported event costs the
 * app ~30 µs (building, serialising, writing) — more than the rest of the SDK per request:
 * - every child process, and file-system calls that touch a sensitive file (credentials, keys,
 *   /proc/self/environ, ...) or in which a detector found an attack;
 * - incoming requests that are remarkable: an attack or a block, a 401/403/5xx answer, or
 *   anything else reported under the request (its process, file, outbound call), so the events
 *   join on `request_id`;
 * - outbound calls on a new connection (one per flow, for the agent's join to its flow record),
 *   calls that failed, were blocked or were found to be an attack.
 * The rest is counted per (method, route, status) and (method, host, port, status) in one
 * `http.summary` event per window and at exit. `httpEvents: 'all'` reports every request and call.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { subscribe, type HttpClientContext, type HttpServerContext } from './channels'
import type { HttpEvents } from './config'
import { isSensitivePath } from './detectors'
import { currentRequest } from './request-context'
import { execEvent } from './reporter/events'
import type { Identity } from './reporter/envelope'
import { fsEvent } from './reporter/events-fs'
import { httpRequestEvent } from './reporter/events-http'
import { httpClientEvent } from './reporter/events-http-client'
import { HttpSummary } from './reporter/http-summary'
import { internalError } from './warn'

export interface ObserveOptions {
  identity: Identity
  report: (event: SidewatchEvent) => void
  httpEvents: HttpEvents
  summaryIntervalMs: number
}

export interface Observer {
  /** Reports the counts of the current window now (before exit or stop). */
  flush: () => void
  /** Unsubscribes, stops the window timer and flushes. */
  stop: () => void
}

export function observe ({ identity, report, httpEvents, summaryIntervalMs }: ObserveOptions): Observer {
  const all = httpEvents === 'all'
  const summary = new HttpSummary()
  /** Reports an event that belongs to the current request, and marks the request to be reported too. */
  const reportInRequest = (build: (requestId: string | undefined) => SidewatchEvent): void => {
    const request = currentRequest()
    if (request !== undefined) request.notable = true
    report(build(request?.id))
  }
  const unsubscribers = [
    subscribe('childProcessEnd', (ctx) => { reportInRequest((id) => execEvent(identity, ctx, id)) }),
    subscribe('httpServerFinish', (ctx) => {
      if (all || remarkableRequest(ctx)) report(httpRequestEvent(identity, ctx))
      else summary.addRequest(ctx.request.method, ctx.request.route, ctx.status, ctx.durationMs ?? 0)
    }),
    subscribe('httpClientEnd', (ctx) => {
      if (all || remarkableCall(ctx)) reportInRequest((id) => httpClientEvent(identity, ctx, id))
      else summary.addCall(ctx.method, ctx.host, ctx.port, ctx.status, ctx.durationMs ?? 0)
    }),
    subscribe('fsEnd', (ctx) => {
      if (ctx.attack !== undefined || isSensitivePath(ctx.resolved) !== undefined) reportInRequest((id) => fsEvent(identity, ctx, id))
    }),
  ]
  const flush = (): void => {
    try {
      const event = summary.take(identity)
      if (event !== undefined) report(event)
    } catch (err) {
      internalError('reporting the http summary', err)
    }
  }
  const timer = setInterval(flush, summaryIntervalMs)
  timer.unref()
  return {
    flush,
    stop () {
      clearInterval(timer)
      for (const unsubscribe of unsubscribers) unsubscribe()
      flush()
    },
  }
}

function remarkableRequest (ctx: HttpServerContext): boolean {
  const request = ctx.request
  if (request.notable === true || request.blocked === true) return true
  const status = ctx.status
  return status !== undefined && (status === 401 || status === 403 || status >= 500)
}

function remarkableCall (ctx: HttpClientContext): boolean {
  return ctx.newConnection !== false || ctx.error !== undefined || ctx.abort !== undefined || ctx.attack !== undefined
}
