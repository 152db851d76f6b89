/**
 * One client connection: a state machine over decoded frames.
 *
 *   handshake ──hello ok──► ready ──(fatal error | peer end | shutdown)──► closing ──► closed
 *       └──── fatal error, timeout ───────────────────────────────────────────┘
 *
 * Frames are handled one at a time, in order. While a frame is being handled the socket is
 * paused, and it stays paused while the client is not reading our replies, so a connection
 * holds at most one chunk of frames plus one partial frame (the decoder's bound, max_frame_size).
 *
 * A fatal error sends its error frame, ends our side and keeps reading (and discarding) until
 * the client closes: closing with unread input would reset the connection and could destroy the
 * error frame before the client reads it.
 */
import type { Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import {
  FrameDecoder, ProtocolError, PROTOCOL_VERSION, decodeFrame, encodeMessage, isProtocolError,
  type EventsMessage, type Frame, type HelloMessage, type Message, type Mode, type SidewatchEvent,
} from '@sidewatch/proto'
import { checkMessage } from '@sidewatch/proto/schema'
import type { Logger } from '../log'
import { countByKind, type AgentMetrics } from '../metrics'
import { AGENT_VERSION } from '../version'
import type { TokenCheck } from './auth'
import { checkBatch } from './batch'

/** How long a closing connection may take to read our last frame before it is cut. */
const CLOSE_GRACE_MS = 1000
/** Invalid events listed in the log line of one batch; all are counted and answered. */
const LOGGED_ISSUES = 5

export interface EventWriter { write (events: readonly SidewatchEvent[]): Promise<void> }

export interface ConnectionOptions {
  id: number
  /** `tcp://127.0.0.1:53122` or the unix listener address. */
  peer: string
  mode: Mode
  maxFrameSize: number
  maxBatch: number
  handshakeTimeoutMs: number
  checkToken: TokenCheck
  sinks: EventWriter
  metrics: AgentMetrics
  log: Logger
  /** The container of the client whose hello names this pid (peer-container.ts), if known. */
  containerOf?: (pid: number) => string | undefined
}

type State = 'handshake' | 'ready' | 'closing' | 'closed'

export class Connection {
  readonly id: number
  /** Resolves when the socket is fully closed. */
  readonly closed: Promise<void>
  #socket: Socket
  #opts: ConnectionOptions
  #log: Logger
  #decoder: FrameDecoder
  #state: State = 'handshake'
  #frames: Frame[] = []
  /** A framing error seen after the queued frames; reported once they are handled. */
  #fatal: ProtocolError | undefined
  #busy = false
  #idle: Array<() => void> = []
  #peerEnded = false
  #stopping = false
  #handshakeTimer: NodeJS.Timeout | undefined
  #graceTimer: NodeJS.Timeout | undefined
  /** Stamped as `container_id` on this client's events that name no container. */
  #containerId: string | undefined

  constructor (socket: Socket, options: ConnectionOptions) {
    this.id = options.id
    this.#socket = socket
    this.#opts = options
    this.#log = options.log.child({ conn: options.id, peer: options.peer })
    this.#decoder = new FrameDecoder({ maxFrameSize: options.maxFrameSize })
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#onClose()
      resolve()
    }))
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => this.#onEnd())
    socket.on('drain', () => this.#maybeResume())
    socket.on('error', (err: NodeJS.ErrnoException) => this.#log.debug({ err: err.code ?? err.message }, 'socket error'))
    this.#handshakeTimer = setTimeout(() => {
      this.#fail(new ProtocolError('SW_ERR_HANDSHAKE_TIMEOUT', `no hello within ${options.handshakeTimeoutMs} ms of connecting`))
    }, options.handshakeTimeoutMs)
    this.#log.debug('connection opened')
  }

  /** Agent shutdown: stop reading, finish the frames already read, then close. */
  async shutdown (): Promise<void> {
    this.#stopping = true
    this.#socket.pause()
    if (this.#busy) await new Promise<void>((resolve) => this.#idle.push(resolve))
    this.#close()
    const cut = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS)
    await this.closed
    clearTimeout(cut)
  }

  #isOpen (): boolean {
    return this.#state === 'handshake' || this.#state === 'ready'
  }

  #onData (chunk: Buffer): void {
    if (!this.#isOpen() || this.#stopping) return
    try {
      this.#decoder.push(chunk, (frame) => { this.#frames.push(frame) })
    } catch (err) {
      this.#fatal = asProtocolError(err)
    }
    void this.#pump()
  }

  #onEnd (): void {
    this.#peerEnded = true
    if (!this.#isOpen()) return
    try {
      this.#decoder.end()
    } catch (err) {
      this.#fatal ??= asProtocolError(err)
    }
    void this.#pump()
  }

  #onClose (): void {
    // A client that reset the connection mid-frame never sent an end: count it all the same.
    if (this.#isOpen() && !this.#peerEnded && this.#decoder.bufferedBytes > 0) {
      this.#report(new ProtocolError('SW_ERR_FRAME_TRUNCATED',
        `connection reset with ${this.#decoder.bufferedBytes} bytes of an unfinished frame`))
    }
    this.#state = 'closed'
    clearTimeout(this.#handshakeTimer)
    clearTimeout(this.#graceTimer)
    this.#frames = []
    this.#log.debug('connection closed')
  }

  /** Handles queued frames in order, then a pending fatal error or the peer's end. */
  async #pump (): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    this.#socket.pause()
    try {
      for (let frame = this.#frames.shift(); frame !== undefined && this.#isOpen(); frame = this.#frames.shift()) {
        await this.#handleFrame(frame)
      }
      if (this.#isOpen() && this.#fatal !== undefined) this.#fail(this.#fatal)
      else if (this.#isOpen() && this.#peerEnded) this.#close()
    } catch (err) {
      // A bug rather than bad input: drop this connection only.
      this.#log.error({ err }, 'connection handler failed')
      this.#close()
    } finally {
      this.#busy = false
      for (const resolve of this.#idle.splice(0)) resolve()
      this.#maybeResume()
    }
  }

  #maybeResume (): void {
    if (this.#busy || this.#state === 'closed') return
    // Closing: input is only discarded, and reading on lets the client's end arrive.
    if (this.#state === 'closing') this.#socket.resume()
    // Otherwise reading stops while the client does not read our replies.
    else if (!this.#stopping && !this.#socket.writableNeedDrain) this.#socket.resume()
  }

  async #handleFrame (frame: Frame): Promise<void> {
    let message: Message
    try {
      message = decodeFrame(frame, { maxFrameSize: this.#opts.maxFrameSize })
      checkMessage(message)
    } catch (err) {
      const error = asProtocolError(err)
      if (error.fatal) this.#fail(error)
      else this.#report(error)
      return
    }
    if (this.#state === 'handshake') {
      if (message.type === 'hello') return this.#onHello(message)
      this.#fail(new ProtocolError('SW_ERR_HANDSHAKE_REQUIRED', `the first message must be hello, got ${message.type}`, '/type'))
      return
    }
    switch (message.type) {
      case 'events': return this.#onEvents(message)
      case 'ping': this.#send(message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id }); return
      case 'pong': return
      case 'error':
        this.#log.info({ code: message.code, field: message.field, seq: message.seq, error: message.message }, 'client reported an error')
        return
      case 'hello':
        this.#report(new ProtocolError('SW_ERR_INVALID_MESSAGE', 'hello was already accepted on this connection', '/type'))
        return
      default:
        this.#report(new ProtocolError('SW_ERR_INVALID_MESSAGE', `${message.type} is sent by the agent, not to it`, '/type'))
    }
  }

  async #onHello (hello: HelloMessage): Promise<void> {
    const auth = this.#opts.checkToken(hello.token)
    if (auth !== 'ok') {
      this.#fail(new ProtocolError('SW_ERR_AUTH', auth === 'missing'
        ? 'hello carries no token; this agent requires one'
        : 'hello token does not match the agent token', '/token'))
      return
    }
    clearTimeout(this.#handshakeTimer)
    this.#state = 'ready'
    this.#log = this.#log.child({ service: hello.service, pid: hello.pid })
    const sessionId = randomUUID()
    this.#send({
      type: 'welcome', version: PROTOCOL_VERSION, agent_version: AGENT_VERSION, session_id: sessionId, config: { mode: this.#opts.mode },
    })
    try {
      this.#containerId = this.#opts.containerOf?.(hello.pid)
    } catch (err) {
      this.#log.debug({ err }, 'the client\'s container could not be read')
    }
    this.#log.info({ session_id: sessionId, sdk: hello.sdk, runtime: hello.runtime, protocol: hello.version, container_id: this.#containerId }, 'client connected')
    // The record of the drops is the client's own agent.stats event (it reports drops during a
    // session too); hello.dropped feeds the log and the metric only, so nothing is stored twice.
    const dropped = hello.dropped ?? 0
    if (dropped > 0) {
      this.#log.warn({ dropped }, 'client dropped events it could not deliver')
      this.#opts.metrics.sdkDropped(dropped)
    }
  }

  async #onEvents ({ seq, events }: EventsMessage): Promise<void> {
    const { metrics, maxBatch } = this.#opts
    if (events.length > maxBatch) {
      metrics.events('dropped', countByKind(events))
      this.#report(new ProtocolError('SW_ERR_BATCH_TOO_LARGE',
        `batch of ${events.length} events is over the limit of ${maxBatch}; send smaller batches`, '/events'), seq)
      return
    }
    metrics.events('received', countByKind(events))
    const { valid, invalid } = checkBatch(events)
    if (invalid.length > 0) {
      metrics.events('rejected', countByKind(invalid.map((i) => i.event)))
      metrics.protocolError('SW_ERR_INVALID_EVENT', invalid.length)
      this.#log.warn({
        code: 'SW_ERR_INVALID_EVENT', seq, rejected: invalid.length, issues: invalid.slice(0, LOGGED_ISSUES).map(({ field, message }) => ({ field, error: message })),
      }, 'protocol error')
      for (const { field, message } of invalid) this.#send({ type: 'error', code: 'SW_ERR_INVALID_EVENT', message, field, seq })
    }
    if (!await this.#store(valid)) return
    metrics.events('accepted', countByKind(valid))
    this.#send({ type: 'ack', seq, accepted: valid.length, rejected: invalid.length })
  }

  /**
   * Hands events to the spool. When it cannot take them (a full disk) the batch is not
   * acknowledged and the connection is closed with SW_ERR_STORE_UNAVAILABLE: the client puts its
   * unacknowledged batches back in its queue, reconnects with backoff and sends them again.
   */
  async #store (events: SidewatchEvent[]): Promise<boolean> {
    if (events.length === 0) return true
    const containerId = this.#containerId
    if (containerId !== undefined) {
      for (const event of events) if (event.container === undefined && event.container_id === undefined) event.container_id = containerId
    }
    try {
      await this.#opts.sinks.write(events)
      return true
    } catch (err) {
      this.#opts.metrics.events('refused', countByKind(events))
      this.#log.error({ code: 'SW_ERR_STORE_UNAVAILABLE', err }, 'could not store a batch; not acknowledged, the client sends it again')
      this.#fail(new ProtocolError('SW_ERR_STORE_UNAVAILABLE', `the agent could not store this batch (${(err as Error).message}); reconnect and send it again`))
      return false
    }
  }

  /** Counts, logs and answers an error; the connection stays up. */
  #report (error: ProtocolError, seq?: number): void {
    this.#opts.metrics.protocolError(error.code)
    this.#log.warn({ code: error.code, field: error.field, seq, error: error.message }, 'protocol error')
    this.#send({
      type: 'error',
      code: error.code,
      message: error.message,
      ...(error.field !== undefined && { field: error.field }),
      ...(seq !== undefined && { seq }),
    })
  }

  #fail (error: ProtocolError): void {
    if (!this.#isOpen()) return
    this.#report(error)
    this.#close()
  }

  #close (): void {
    if (!this.#isOpen()) return
    this.#state = 'closing'
    this.#frames = []
    clearTimeout(this.#handshakeTimer)
    this.#socket.end()
    this.#graceTimer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref()
    this.#maybeResume()
  }

  #send (message: Message): void {
    if (this.#socket.writable) this.#socket.write(encodeMessage(message))
  }
}

function asProtocolError (err: unknown): ProtocolError {
  if (isProtocolError(err)) return err
  throw err
}
