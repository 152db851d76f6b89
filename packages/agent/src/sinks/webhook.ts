/**
 * `webhook+https://HOST/PATH`: alerts only, each POSTed as a Slack-compatible message
 * (`{"text": ...}`, which Slack, Mattermost and Teams' Slack-compatible connectors take), so a
 * team hears about an alert where it already talks. Other events are taken and dropped here (the
 * other sinks store them). A non-2xx rejects the batch and the spool retries it: an alert
 * reaches the hook at least once. `webhook+http://` only to loopback addresses.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Dispatcher } from 'undici'
import { checkHttpsUrl, loadUndici, retryAfterMs, SinkHttpError } from './https'
import type { Sink, SinkContext } from './sink'
import { AgentError } from '../errors'
import { answerTimeoutMs } from './answer-timeout'

const ICON: Record<string, string> = { emergency: ':rotating_light:', alert: ':rotating_light:', critical: ':red_circle:', error: ':red_circle:', warning: ':warning:', notice: ':large_blue_circle:', informational: ':information_source:', debug: ':grey_question:' }

export function checkWebhookUrl (spec: string): URL {
  if (!spec.startsWith('webhook+')) throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)} is not like webhook+https://hooks.example.com/...`)
  return checkHttpsUrl(spec.slice('webhook+'.length))
}

/** The Slack-compatible message for one alert event. */
export function webhookMessage (event: SidewatchEvent): { text: string } {
  const a = (event as unknown as { alert: { rule: string, priority: string, output: string, tags?: string[], count?: number } }).alert
  const where = [event.service, (event as { container?: string }).container, (event as { task?: { family?: string } }).task?.family].filter((x) => x !== undefined && x !== '').join(' / ')
  const lines = [
    `${ICON[a.priority] ?? ''} *${a.priority.toUpperCase()}* ${a.rule}${where === '' ? '' : ` (${where})`}`.trim(),
    a.output,
    `${a.tags !== undefined && a.tags.length > 0 ? `tags: ${a.tags.join(', ')} · ` : ''}${(a.count ?? 1) > 1 ? `${String(a.count)} times · ` : ''}alert ${event.id} at ${event.ts}`,
  ]
  return { text: lines.join('\n') }
}

export class WebhookSink implements Sink {
  readonly name: string
  readonly #url: URL
  readonly #dispatcher: Dispatcher
  readonly #timeoutMs: number
  sent = 0

  private constructor (url: URL, timeoutMs: number) {
    this.#url = url
    this.#timeoutMs = timeoutMs
    this.name = `webhook+${url.origin}${url.pathname.length > 1 ? '/…' : ''}` // the path of a hook URL is its secret
    this.#dispatcher = new (loadUndici().Agent)({ connect: { rejectUnauthorized: true }, connections: 2 })
  }

  static async open (spec: string, _ctx: SinkContext, env: NodeJS.ProcessEnv = process.env): Promise<WebhookSink> {
    return new WebhookSink(checkWebhookUrl(spec), answerTimeoutMs(env, 15_000))
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    for (const event of events) {
      if (event.kind !== 'alert') continue
      let res: Dispatcher.ResponseData
      try {
        res = await loadUndici().request(this.#url, { method: 'POST', dispatcher: this.#dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookMessage(event)), headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs })
      } catch (err) {
        throw new SinkHttpError(`cannot reach the webhook ${this.#url.origin}: ${(err as Error).message}`, undefined)
      }
      const text = await res.body.text().catch(() => '')
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new SinkHttpError(`the webhook ${this.#url.origin} answered ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode,
          res.statusCode === 429 || res.statusCode === 503 ? retryAfterMs(res.headers['retry-after']) : undefined)
      }
      this.sent++
    }
  }

  async flush (): Promise<void> {}

  /** Called once the pump has stopped: a request still waiting for an answer is abandoned (unacknowledged, so spooled). */
  async close (): Promise<void> {
    await this.#dispatcher.destroy()
  }
}
