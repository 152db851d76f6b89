/**
 * A small client of the agent's wire protocol, for `sidewatch-agent exec`: it reports the
 * scanner's events from inside an application container to the task's agent (over the task's
 * loopback, or a unix socket on a shared volume), the way the SDKs do.
 *
 * It never holds the wrapped command back: events wait in a bounded queue (the oldest dropped and
 * counted past it, the count reported in the next hello), one batch is in flight at a time, and
 * a missing or restarting agent is retried with backoff forever.
 */
import { connect, type Socket } from 'node:net'
import { FrameDecoder, PROTOCOL_VERSION, decodeFrame, encodeMessage, type Message, type SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import { AGENT_VERSION } from '../version'

export interface AgentClientOptions {
  /** `tcp://127.0.0.1:7878` or `unix:/path/agent.sock`. */
  address: string
  token?: string
  service: string
  log: Logger
  /** Events held while the agent is away (default 10,000). */
  maxQueue?: number
  batch?: number
}

export class AgentClient {
  readonly #options: Required<Omit<AgentClientOptions, 'token'>> & { token?: string }
  #queue: SidewatchEvent[] = []
  #socket: Socket | undefined
  #ready = false
  #inFlight: SidewatchEvent[] | undefined
  #seq = 0
  #backoffMs = 100
  #closed = false
  #timer: NodeJS.Timeout | undefined
  dropped = 0
  sent = 0

  constructor (options: AgentClientOptions) {
    this.#options = { maxQueue: 10_000, batch: 500, ...options }
    this.#connect()
  }

  send (events: readonly SidewatchEvent[]): void {
    for (const e of events) this.#queue.push(e)
    const over = this.#queue.length - this.#options.maxQueue
    if (over > 0) { this.#queue.splice(0, over); this.dropped += over }
    this.#pump()
  }

  /** Waits up to `ms` for the queue to drain, then closes. */
  async close (ms = 2000): Promise<void> {
    const deadline = performance.now() + ms
    while (performance.now() < deadline && this.#ready && (this.#queue.length > 0 || this.#inFlight !== undefined)) await new Promise((resolve) => setTimeout(resolve, 10))
    this.#closed = true
    clearTimeout(this.#timer)
    this.#socket?.destroy()
  }

  #connect (): void {
    if (this.#closed) return
    const a = this.#options.address
    const socket = a.startsWith('unix:') ? connect({ path: a.slice('unix:'.length) }) : connect({ host: new URL(a).hostname, port: Number(new URL(a).port) })
    this.#socket = socket
    socket.unref()
    const decoder = new FrameDecoder()
    socket.on('connect', () => {
      socket.write(encodeMessage({
        type: 'hello', version: PROTOCOL_VERSION, token: this.#options.token, runtime: { name: 'node', version: process.versions.node },
        sdk: { name: 'sidewatch-exec', version: AGENT_VERSION }, service: this.#options.service, pid: process.pid, dropped: this.dropped,
      } as Message))
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (frame) => this.#onMessage(decodeFrame(frame)))
      } catch (err) {
        this.#options.log.warn({ err }, 'exec: bad frame from the agent; reconnecting')
        socket.destroy()
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.#ready = false
      if (this.#inFlight !== undefined) { this.#queue.unshift(...this.#inFlight); this.#inFlight = undefined }
      if (this.#closed) return
      this.#timer = setTimeout(() => this.#connect(), this.#backoffMs)
      this.#timer.unref()
      this.#backoffMs = Math.min(this.#backoffMs * 2, 10_000)
    })
  }

  #onMessage (message: Message): void {
    if (message.type === 'welcome') {
      this.#ready = true
      this.#backoffMs = 100
      this.dropped = 0
      this.#pump()
    } else if (message.type === 'ack') {
      this.sent += this.#inFlight?.length ?? 0
      this.#inFlight = undefined
      this.#pump()
    } else if (message.type === 'error' && (message as { fatal?: boolean }).fatal === true) {
      this.#options.log.error({ code: (message as { code?: string }).code, msg: (message as { message?: string }).message }, 'exec: the agent refused the connection')
      this.#socket?.destroy()
    }
  }

  #pump (): void {
    if (!this.#ready || this.#inFlight !== undefined || this.#queue.length === 0 || this.#socket === undefined) return
    this.#inFlight = this.#queue.splice(0, this.#options.batch)
    this.#socket.write(encodeMessage({ type: 'events', seq: ++this.#seq, events: this.#inFlight } as Message))
  }
}
