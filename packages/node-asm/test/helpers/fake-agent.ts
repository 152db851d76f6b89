/**
 * A small agent for the SDK's tests: a real net server (tcp 127.0.0.1:0 or a unix socket) that
 * speaks the sidewatch protocol through @sidewatch/proto — hello → welcome, events → ack — and
 * records what it got. Switches make it misbehave: refuse the token, never welcome (hung), stop
 * acking, drop every connection, answer with garbage.
 */
import { EventEmitter } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { FrameDecoder, decodeFrame, encodeMessage, PROTOCOL_VERSION,
  type EventsMessage, type HelloMessage, type Message, type Mode, type SidewatchEvent } from '@sidewatch/proto'
import { waitUntil } from './wait'

export interface FakeAgentOptions {
  /** Listen on this unix socket path instead of tcp 127.0.0.1:0. */
  unix?: string
  /** Expected token: another one gets an SW_ERR_AUTH error and the connection is closed. */
  token?: string
  /** Answer hellos (default true). false: a hung agent that accepts and never says a word. */
  welcome?: boolean
  /** Acknowledge batches (default true). */
  ack?: boolean
  /** Mode sent in the welcome (default monitor). */
  mode?: Mode
  /** Answer a hello with bytes that are not a valid frame. */
  garbage?: boolean
}

export class FakeAgent extends EventEmitter {
  readonly options: FakeAgentOptions
  readonly hellos: HelloMessage[] = []
  readonly batches: EventsMessage[] = []
  readonly events: SidewatchEvent[] = []
  readonly errorsSent: string[] = []
  connections = 0
  address = ''
  readonly #server: Server
  readonly #sockets = new Set<Socket>()

  private constructor (options: FakeAgentOptions) {
    super()
    this.options = { welcome: true, ack: true, mode: 'monitor', ...options }
    this.#server = createServer((socket) => { this.#accept(socket) })
  }

  static async start (options: FakeAgentOptions = {}): Promise<FakeAgent> {
    const agent = new FakeAgent(options)
    await new Promise<void>((resolve, reject) => {
      agent.#server.once('error', reject)
      if (options.unix !== undefined) agent.#server.listen(options.unix, resolve)
      else agent.#server.listen(0, '127.0.0.1', resolve)
    })
    const addr = agent.#server.address()
    agent.address = typeof addr === 'string' || addr === null ? `unix:${options.unix ?? ''}` : `tcp://127.0.0.1:${addr.port}`
    return agent
  }

  /** Events of one kind, in arrival order. */
  eventsOf (kind: SidewatchEvent['kind']): SidewatchEvent[] {
    return this.events.filter((e) => e.kind === kind)
  }

  /** Resolves when `check` returns something other than undefined; re-checked on every message. */
  waitFor<T> (what: string, check: () => T | undefined | false, ms = 8000): Promise<T> {
    return waitUntil(what, check, ms, this)
  }

  /** Drops every open connection (the SDK sees the agent go away). */
  dropConnections (): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  async close (): Promise<void> {
    this.dropConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept (socket: Socket): void {
    this.connections++
    this.#sockets.add(socket)
    socket.on('close', () => { this.#sockets.delete(socket); this.emit('change') })
    socket.on('error', () => { /* the SDK side went away */ })
    const decoder = new FrameDecoder()
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (frame) => { this.#receive(socket, decodeFrame(frame)) })
      } catch {
        socket.destroy()
      }
    })
    this.emit('change')
  }

  #receive (socket: Socket, message: Message): void {
    const send = (reply: Message): void => { if (!socket.destroyed) socket.write(encodeMessage(reply)) }
    if (message.type === 'hello') {
      this.hellos.push(message)
      if (this.options.garbage === true) {
        socket.write(Buffer.from([0xff, 0, 0, 0, 1, 0]))
      } else if (this.options.token !== undefined && message.token !== this.options.token) {
        this.errorsSent.push('SW_ERR_AUTH')
        send({ type: 'error', code: 'SW_ERR_AUTH', message: 'the token is wrong', field: '/token' })
        socket.end()
      } else if (this.options.welcome === true) {
        send({ type: 'welcome', version: PROTOCOL_VERSION, agent_version: 'fake', session_id: `s${this.connections}`, config: { mode: this.options.mode ?? 'monitor' } })
      }
    } else if (message.type === 'events') {
      this.batches.push(message)
      this.events.push(...message.events)
      if (this.options.ack === true) send({ type: 'ack', seq: message.seq, accepted: message.events.length, rejected: 0 })
    } else if (message.type === 'ping') {
      send({ type: 'pong', ...(message.id === undefined ? {} : { id: message.id }) })
    }
    this.emit('change')
  }
}
