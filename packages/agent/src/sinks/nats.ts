/**
 * `nats://HOST:PORT[?stream=NAME]`: NATS JetStream, the way many agents feed one back end that
 * scales past a machine. Each event is published to `sidewatch.<kind>` with `Nats-Msg-Id` = its
 * id, so the stream drops a repeat (the spool sends at least once) inside its duplicate window;
 * a write resolves only when the stream has acknowledged every event of the batch. The stream
 * (default `SIDEWATCH`, subjects `sidewatch.>`) is created when missing.
 *
 * Publishing is what JetStream's own publish does, without its cost per message (a promise, a
 * timer and an error object each, half the agent's CPU): every event of a batch is published at
 * once with a reply subject under one inbox of the sink's, and one subscription collects the
 * stream's PubAcks; the batch has one timer. The batch's messages are written as protocol bytes
 * (`HPUB subject reply hlen len`, the header block, the event) into one buffer that goes into
 * nats.js's outbound queue whole, instead of through publish() (a template, a TextEncoder and four
 * queue entries per message; 1.8 against 0.6 µs of CPU per message, measured).
 *
 * Credentials: a token from SIDEWATCH_NATS_TOKEN, or user:password in the URL's userinfo. The
 * client reconnects on its own; a publish that fails or times out rejects the write and the
 * spool's pump retries the batch.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { ConnectionOptions, Msg, MsgHdrs, NatsConnection, Subscription } from 'nats'
import { AgentError } from '../errors'
import type { RawBatch, Sink, SinkContext } from './sink'

export const DEFAULT_STREAM = 'SIDEWATCH'
const PUBLISH_TIMEOUT_MS = 5000
const PENDING_LIMIT = 256 * 1024
const EMPTY = new Uint8Array(0)

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

/** Ids and kinds written into the protocol as they are: no space, line break or wildcard can get in. */
const PLAIN = /^[A-Za-z0-9._:-]+$/
const HEADER_START = 'NATS/1.0\r\nNats-Msg-Id: '

/** The part of nats.js's connection that takes protocol bytes to send (not in its typings). */
interface ProtocolOut { sendCommand: (cmd: Uint8Array) => void, outMsgs: number, outBytes: number }

/** The PubAcks a batch still waits for. */
interface PendingBatch {
  acked: Uint8Array
  left: number
  resolve: () => void
  reject: (err: Error) => void
}

export class NatsSink implements Sink {
  readonly name: string
  /**
   * Batches are independent (each waits for its own PubAcks): the next ones are published while
   * the stream stores the last. Four: with two the sink fell behind the SDKs on a loaded 2-core
   * machine (delivered 0.80x of what was acknowledged to them), with four it kept up (0.99x).
   */
  readonly maxInFlight = 4
  readonly #nc: NatsConnection
  readonly #inbox: string
  readonly #subscription: Subscription
  readonly #pending = new Map<number, PendingBatch>()
  readonly #headers: typeof import('nats').headers
  /** nats.js's outbound queue, when this version of it has one this sink knows how to use. */
  readonly #out: ProtocolOut | undefined
  #batches = 0
  /** Events the stream reported as repeats (already stored under that id). */
  duplicates = 0

  private constructor (name: string, nc: NatsConnection, nats: typeof import('nats')) {
    this.name = name
    this.#nc = nc
    this.#headers = nats.headers
    this.#inbox = nats.createInbox()
    this.#subscription = nc.subscribe(`${this.#inbox}.>`, { callback: (err, msg) => { if (err === null) this.#onAck(msg) } })
    const out = (nc as unknown as { protocol?: Partial<ProtocolOut> }).protocol
    this.#out = typeof out?.sendCommand === 'function' && typeof out.outMsgs === 'number' && typeof out.outBytes === 'number' ? out as ProtocolOut : undefined
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
        // Bytes nats.js gathers before writing to the socket (its default, 32 KiB, makes a
        // write per ~50 events; each write costs a system call and the loopback's work).
        pendingLimit: PENDING_LIMIT,
      } as ConnectionOptions)
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
    return new NatsSink(spec.replace(/\/\/[^@/]*@/, '//'), nc, await import('nats'))
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    await this.writeRaw({ json: events.map((e) => Buffer.from(JSON.stringify(e))), ids: events.map((e) => e.id), kinds: events.map((e) => e.kind) })
  }

  async writeRaw ({ json, ids, kinds }: RawBatch): Promise<void> {
    const n = json.length
    if (n === 0) return
    const batch = ++this.#batches
    const done = new Promise<void>((resolve, reject) => {
      this.#pending.set(batch, { acked: new Uint8Array(n), left: n, resolve, reject })
    })
    const timer = setTimeout(() => {
      this.#settle(batch, new Error(`JetStream did not acknowledge ${this.#pending.get(batch)?.left ?? 0} of ${n} events within ${PUBLISH_TIMEOUT_MS} ms`))
    }, PUBLISH_TIMEOUT_MS)
    try {
      if (!this.#publishWhole(batch, json, ids, kinds)) this.#publishEach(batch, json, ids, kinds)
    } catch (err) {
      this.#settle(batch, err as Error)
    }
    try {
      await done
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * The batch as one buffer of protocol bytes into nats.js's outbound queue (which keeps it across
   * a reconnect, as it keeps what publish() queues). False, with nothing sent, when this nats.js
   * has no queue this sink knows or an id or kind is not plain: publishEach then.
   */
  #publishWhole (batch: number, json: readonly Buffer[], ids: readonly string[], kinds: readonly string[]): boolean {
    const out = this.#out
    if (out === undefined) return false
    const n = json.length
    const heads = new Array<string>(n)
    const maxPayload = this.#nc.info?.max_payload ?? Infinity
    let size = 0
    for (let i = 0; i < n; i++) {
      const id = ids[i] as string
      const kind = kinds[i] as string
      if (!PLAIN.test(id) || !PLAIN.test(kind)) return false
      const hlen = HEADER_START.length + id.length + 4
      const len = hlen + (json[i] as Buffer).length
      if (len > maxPayload) throw new Error(`event ${id} is ${len} bytes with its header, over the NATS server's max_payload of ${maxPayload}`)
      const head = `HPUB sidewatch.${kind} ${this.#inbox}.${batch}.${i} ${hlen} ${len}\r\n${HEADER_START}${id}\r\n\r\n`
      heads[i] = head
      size += head.length + len - hlen + 2
    }
    // What nats.js's publish() checks before it queues (the inbox and kinds make valid subjects).
    if (this.#nc.isClosed()) throw new Error('the NATS connection is closed')
    if (this.#nc.isDraining()) throw new Error('the NATS connection is draining')
    const buf = Buffer.allocUnsafeSlow(size)
    let at = 0
    for (let i = 0; i < n; i++) {
      at += buf.write(heads[i] as string, at, 'latin1')
      at += (json[i] as Buffer).copy(buf, at)
      buf[at++] = 0x0d
      buf[at++] = 0x0a
    }
    out.outMsgs += n
    out.outBytes += size
    out.sendCommand(buf)
    return true
  }

  /** The batch through nats.js's publish(), message by message. */
  #publishEach (batch: number, lent: readonly Buffer[], ids: readonly string[], kinds: readonly string[]): void {
    // nats.js keeps what is published while the connection is down and sends it after a
    // reconnect, past this write's failure: the payloads are copied out of the pump's buffer.
    const json = copied(lent)
    // The header block, `NATS/1.0\r\nNats-Msg-Id: ID\r\n\r\n`, written here rather than
    // through nats.js's headers object (a Map, checks and a TextEncoder per message); nats.js
    // only asks headers for their bytes. An id with a line break goes through nats.js, which
    // refuses it.
    const headers: { bytes: Uint8Array, encode: () => Uint8Array } = { bytes: EMPTY, encode () { return this.bytes } }
    for (let i = 0; i < json.length; i++) {
      const id = ids[i] as string
      if (id.includes('\r') || id.includes('\n')) {
        const h = this.#headers()
        h.set('Nats-Msg-Id', id)
        headers.bytes = (h as unknown as { encode: () => Uint8Array }).encode()
      } else {
        headers.bytes = Buffer.from(`NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`)
      }
      this.#nc.publish(`sidewatch.${kinds[i] as string}`, json[i], { reply: `${this.#inbox}.${batch}.${i}`, headers: headers as unknown as MsgHdrs })
    }
  }

  /** One PubAck (or a 503 when no stream takes the subject): `{"stream":…,"seq":…,"duplicate"?:true}` or `{"error":{…}}`. */
  #onAck (msg: Msg): void {
    const tail = msg.subject.slice(this.#inbox.length + 1)
    const dot = tail.indexOf('.')
    const batch = this.#pending.get(Number(tail.slice(0, dot)))
    const i = Number(tail.slice(dot + 1))
    if (batch === undefined || !(i >= 0 && i < batch.acked.length) || batch.acked[i] === 1) return // late, or a repeat
    const batchNo = Number(tail.slice(0, dot))
    if (msg.data.length === 0) {
      const code = msg.headers?.code ?? 0
      this.#settle(batchNo, new Error(code === 503 ? 'no JetStream stream takes sidewatch.> (503 no responders)' : `JetStream answered status ${code}`))
      return
    }
    const data = msg.data
    // The usual PubAck, `{"stream":"SIDEWATCH","seq":N}`, is taken without parsing it: it starts
    // with `{"s` (an error starts `{"error"`) and ends in a digit and `}` (a repeat ends
    // `"duplicate":true}`, an ack with a domain in `"}`); anything else is parsed.
    const end = data.length
    if (data[0] === 0x7b && data[2] === 0x73 && data[end - 1] === 0x7d && (data[end - 2] as number) >= 0x30 && (data[end - 2] as number) <= 0x39) {
      batch.acked[i] = 1
      if (--batch.left === 0) this.#settle(batchNo)
      return
    }
    let ack: { error?: { code?: number, description?: string }, duplicate?: boolean }
    try {
      ack = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
    } catch {
      this.#settle(batchNo, new Error('JetStream sent an acknowledgement that is not JSON'))
      return
    }
    if (ack.error !== undefined) {
      this.#settle(batchNo, new Error(`JetStream refused an event: ${ack.error.description ?? 'error'} (${ack.error.code ?? '?'})`))
      return
    }
    if (ack.duplicate === true) this.duplicates++
    batch.acked[i] = 1
    if (--batch.left === 0) this.#settle(batchNo)
  }

  #settle (batchNo: number, err?: Error): void {
    const batch = this.#pending.get(batchNo)
    if (batch === undefined) return
    this.#pending.delete(batchNo)
    if (err === undefined) batch.resolve()
    else batch.reject(err)
  }

  /** Every write waited for its acknowledgements: nothing is held here. */
  async flush (): Promise<void> {}

  async close (): Promise<void> {
    this.#subscription.unsubscribe()
    for (const batchNo of [...this.#pending.keys()]) this.#settle(batchNo, new Error('the NATS sink is closing'))
    await this.#nc.drain().catch(() => this.#nc.close())
  }
}

/** The buffers copied into one new buffer, as views into it. */
function copied (parts: readonly Buffer[]): Buffer[] {
  let size = 0
  for (const p of parts) size += p.length
  const all = Buffer.allocUnsafeSlow(size)
  const out = new Array<Buffer>(parts.length)
  for (let i = 0, at = 0; i < parts.length; i++) {
    const p = parts[i] as Buffer
    p.copy(all, at)
    out[i] = all.subarray(at, at + p.length)
    at += p.length
  }
  return out
}
