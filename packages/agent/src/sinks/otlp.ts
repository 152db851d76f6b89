/**
 * `otlp+http://HOST:PORT` (or `otlp+https://`): events as OpenTelemetry logs over OTLP/HTTP JSON
 * (`POST /v1/logs`), so any OpenTelemetry Collector pipeline can take sidewatch's output.
 *
 * One LogRecord per event: `timeUnixNano` from the event time, the body the event's JSON,
 * attributes `sidewatch.id`, `sidewatch.kind`, `sidewatch.source`, `service.name` when the event
 * names one, and for alerts `sidewatch.rule` with a severity from the priority. Events are grouped
 * by where they come from into one ResourceLogs each, with the task as resource attributes
 * (`cloud.provider`, `aws.ecs.cluster.arn`, `aws.ecs.task.arn`, `aws.ecs.task.family`,
 * `aws.ecs.task.revision`, `cloud.availability_zone`, `container.name`, `host.name`), as the
 * OpenTelemetry semantic conventions name them. A write resolves on a 2xx; anything else rejects
 * and the spool retries (Retry-After honoured as for https). Headers from
 * SIDEWATCH_OTLP_HEADERS (`k=v,k2=v2`, as OTEL_EXPORTER_OTLP_HEADERS).
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Dispatcher } from 'undici'
import { AgentError } from '../errors'
import { loadUndici, retryAfterMs, SinkHttpError } from './https'
import type { Sink, SinkContext } from './sink'
import { answerTimeoutMs } from './answer-timeout'

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean }
interface KeyValue { key: string, value: AnyValue }

const SEVERITY: Record<string, [number, string]> = {
  emergency: [24, 'FATAL4'], alert: [23, 'FATAL3'], critical: [21, 'FATAL'], error: [17, 'ERROR'],
  warning: [13, 'WARN'], notice: [10, 'INFO2'], informational: [9, 'INFO'], debug: [5, 'DEBUG'],
}

export function checkOtlpUrl (spec: string): URL {
  const m = /^otlp\+(https?):\/\/(.+)$/.exec(spec)
  let url: URL | undefined
  try { url = m === null ? undefined : new URL(`${m[1] as string}://${m[2] as string}`) } catch { url = undefined }
  if (url === undefined || url.hostname === '') throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)} is not like otlp+http://127.0.0.1:4318 or otlp+https://collector:4318`)
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/logs'
  return url
}

const str = (key: string, value: unknown): KeyValue | undefined => typeof value === 'string' && value !== '' ? { key, value: { stringValue: value } } : undefined

/** The OTLP/HTTP JSON request body for a batch of events. */
export function otlpLogs (events: readonly SidewatchEvent[]): Record<string, unknown> {
  const groups = new Map<string, { resource: KeyValue[], records: Array<Record<string, unknown>> }>()
  for (const event of events) {
    const e = event as SidewatchEvent & { task?: Record<string, string>, container?: string, host?: string, service?: string }
    const resource = [
      { key: 'cloud.provider', value: { stringValue: 'aws' } },
      str('aws.ecs.cluster.arn', e.task?.cluster), str('aws.ecs.task.arn', e.task?.arn), str('aws.ecs.task.family', e.task?.family),
      str('aws.ecs.task.revision', e.task?.revision), str('cloud.availability_zone', e.task?.availability_zone),
      str('container.name', e.container), str('host.name', e.host),
    ].filter((kv): kv is KeyValue => kv !== undefined)
    const key = JSON.stringify(resource)
    let group = groups.get(key)
    if (group === undefined) { group = { resource, records: [] }; groups.set(key, group) }
    const ms = Date.parse(e.ts)
    const nanos = `${Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : 0n}`
    const attributes = [str('sidewatch.id', e.id), str('sidewatch.kind', e.kind), str('sidewatch.source', e.source), str('service.name', e.service)]
    const record: Record<string, unknown> = { timeUnixNano: nanos, observedTimeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`, body: { stringValue: JSON.stringify(e) } }
    if (e.kind === 'alert') {
      const alert = (e as { alert: { rule: string, priority: string } }).alert
      attributes.push(str('sidewatch.rule', alert.rule), str('sidewatch.priority', alert.priority))
      const [number, text] = SEVERITY[alert.priority] ?? [9, 'INFO']
      record.severityNumber = number
      record.severityText = text
    } else {
      record.severityNumber = 9
      record.severityText = 'INFO'
    }
    record.attributes = attributes.filter((kv): kv is KeyValue => kv !== undefined)
    group.records.push(record)
  }
  return {
    resourceLogs: [...groups.values()].map((g) => ({
      resource: { attributes: g.resource },
      scopeLogs: [{ scope: { name: 'sidewatch-agent' }, logRecords: g.records }],
    })),
  }
}

export class OtlpSink implements Sink {
  readonly name: string
  readonly #url: URL
  readonly #headers: Record<string, string>
  readonly #dispatcher: Dispatcher
  readonly #timeoutMs: number

  private constructor (spec: string, url: URL, headers: Record<string, string>, timeoutMs: number) {
    this.name = spec
    this.#url = url
    this.#headers = headers
    this.#timeoutMs = timeoutMs
    this.#dispatcher = new (loadUndici().Agent)({ connect: { rejectUnauthorized: true }, connections: 4 })
  }

  static async open (spec: string, _ctx: SinkContext, env: NodeJS.ProcessEnv = process.env): Promise<OtlpSink> {
    const url = checkOtlpUrl(spec)
    const headers: Record<string, string> = {}
    for (const pair of (env.SIDEWATCH_OTLP_HEADERS ?? '').split(',')) {
      const at = pair.indexOf('=')
      if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim()).toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim())
    }
    return new OtlpSink(spec, url, headers, answerTimeoutMs(env, 30_000))
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    if (events.length === 0) return
    let res: Dispatcher.ResponseData
    try {
      res = await loadUndici().request(this.#url, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers: { ...this.#headers, 'content-type': 'application/json' },
        body: JSON.stringify(otlpLogs(events)),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      })
    } catch (err) {
      throw new SinkHttpError(`cannot reach the OTLP endpoint ${this.#url.origin}: ${(err as Error).message}`, undefined)
    }
    const text = await res.body.text().catch(() => '')
    if (res.statusCode >= 200 && res.statusCode < 300) return
    throw new SinkHttpError(`${this.#url.href} answered ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode,
      res.statusCode === 429 || res.statusCode === 503 ? retryAfterMs(res.headers['retry-after']) : undefined)
  }

  async flush (): Promise<void> {}

  /** Called once the pump has stopped: a request still waiting for an answer is abandoned (unacknowledged, so spooled). */
  async close (): Promise<void> {
    await this.#dispatcher.destroy()
  }
}
