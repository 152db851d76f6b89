/**
 * `nats://HOST:PORT[?stream=NAME]`: NATS JetStream, the way many agents feed one back end that
 * scales past a machine. Each event is published to `sidewatch.<kind>` with `Nats-Msg-Id` = its
 * id, so the stream drops a repeat (the spool sends at least once) inside its duplicate window;
 * a write resolves only when the stream has acknowledged every event of the batch. The stream
 * (default `SIDEWATCH`, subjects `sidewatch.>`) is created when missing.
 *
 * Credentials: a token from SIDEWATCH_NATS_TOKEN, or user:password in the URL's userinfo. The
 * client reconnects on its own; a publish that fails or times out rejects the write and the
 * spool's pump retries the batch.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { JetStreamClient, NatsConnection } from 'nats'
import { AgentError } from '../errors'
import type { Sink, SinkContext } from './sink'

export const DEFAULT_STREAM = 'SIDEWATCH'
/** Publishes in flight at once within a batch. */
const WINDOW = 256
const PUBLISH_TIMEOUT_MS = 5000

export interface NatsTarget { servers: string, stream: string, user?: string, pass?: string }

/** `nats://[user:pass@]host:port[?stream=NAME]` → where to connect. */
export function parseNatsUrl (spec: string): NatsTarget {
  let url: URL
  try {
    url = new URL(spec)
  } catch {
    throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)} is not a URL like nats://127.0.0.1:4222`)
  }
  if (url.protocol !== 'nats:' || url.hostname === '') throw new AgentError('SW_ERR_SINK', `sink ${JSON.stringify(spec)} is not a URL like nats://127.0.0.1:4222`)
  const stream = url.searchParams.get('stream') ?? DEFAULT_STREAM
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new AgentError('SW_ERR_SINK', `stream name ${JSON.stringify(stream)} in ${JSON.stringify(spec)} must be letters, digits, - and _`)
  const target: NatsTarget = { servers: `${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port === '' ? '4222' : url.port}`, stream }
  if (url.username !== '') { target.user = decodeURIComponent(url.username); target.pass = decodeURIComponent(url.password) }
  return target
}

export class NatsSink implements Sink {
  readonly name: string
  readonly #nc: NatsConnection
  readonly #js: JetStreamClient
  /** Events the stream reported as repeats (already stored under that id). */
  duplicates = 0

  private constructor (name: string, nc: NatsConnection, js: JetStreamClient) {
    this.name = name
    this.#nc = nc
    this.#js = js
  }

  static async open (spec: string, ctx: SinkContext): Promise<NatsSink> {
    const target = parseNatsUrl(spec)
    const { connect } = await import('nats')
    let nc: NatsConnection
    try {
      nc = await connect({
        servers: target.servers,
        name: 'sidewatch-agent',
        token: process.env.SIDEWATCH_NATS_TOKEN,
        user: target.user,
        pass: target.pass,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: 5000,
      })
    } catch (err) {
      throw new AgentError('SW_ERR_SINK', `cannot connect to NATS at ${target.servers}: ${(err as Error).message}`, { cause: err })
    }
    try {
      const jsm = await nc.jetstreamManager()
      try {
        await jsm.streams.info(target.stream)
      } catch {
        await jsm.streams.add({ name: target.stream, subjects: ['sidewatch.>'], duplicate_window: 2 * 60 * 1_000_000_000 })
        ctx.log.info({ sink: spec, stream: target.stream }, 'created the JetStream stream')
      }
    } catch (err) {
      await nc.close().catch(() => {})
      throw new AgentError('SW_ERR_SINK', `NATS at ${target.servers} has no usable JetStream (start nats-server with -js): ${(err as Error).message}`, { cause: err })
    }
    void nc.closed().then((err) => { if (err !== undefined) ctx.onError(spec, err) })
    return new NatsSink(spec.replace(/\/\/[^@/]*@/, '//'), nc, nc.jetstream({ timeout: PUBLISH_TIMEOUT_MS }))
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    const { headers } = await import('nats')
    for (let i = 0; i < events.length; i += WINDOW) {
      // The client builds an Error per request up front (for a timeout's stack trace): with no
      // frames to capture that costs nothing; otherwise it was a third of the agent's CPU.
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      let acks
      try {
        acks = events.slice(i, i + WINDOW).map((event) => {
          const h = headers()
          h.set('Nats-Msg-Id', event.id)
          return this.#js.publish(`sidewatch.${event.kind}`, Buffer.from(JSON.stringify(event)), { headers: h, timeout: PUBLISH_TIMEOUT_MS })
        })
      } finally {
        Error.stackTraceLimit = limit
      }
      for (const ack of await Promise.all(acks)) if (ack.duplicate) this.duplicates++
    }
  }

  /** Every write waited for its acknowledgements: nothing is held here. */
  async flush (): Promise<void> {}

  async close (): Promise<void> {
    await this.#nc.drain().catch(() => this.#nc.close())
  }
}
