/**
 * The ingest side of the agent: its listeners, the connection limit and the set of live
 * connections, shared by every listener.
 */
import type { Socket } from 'node:net'
import { encodeMessage, type Mode } from '@sidewatch/proto'
import type { Logger } from '../log'
import type { AgentMetrics } from '../metrics'
import { createTokenCheck, type TokenCheck } from './auth'
import { Connection, type EventWriter } from './connection'
import { peerContainerId, type PeerSocket } from './peer-container'
import { resolveGroup } from './socket-group'
import { isLoopback, type ListenSpec } from './listen-spec'
import { openListener, type Listener } from './listener'

export interface IngestOptions {
  listen: readonly ListenSpec[]
  token: string | undefined
  mode: Mode
  maxFrameSize: number
  maxConnections: number
  maxBatch: number
  handshakeTimeoutMs: number
  /** A group that may use the unix sockets too (socket-group.ts). */
  socketGroup?: string
}

/** How long a refused connection gets to read its error frame. */
const REFUSE_GRACE_MS = 1000

export class Ingest {
  #listeners: Listener[] = []
  #connections = new Set<Connection>()
  #nextId = 1
  #options: IngestOptions
  #checkToken: TokenCheck
  #sinks: EventWriter
  #metrics: AgentMetrics
  #log: Logger

  private constructor (options: IngestOptions, sinks: EventWriter, metrics: AgentMetrics, log: Logger) {
    this.#options = options
    this.#checkToken = createTokenCheck(options.token)
    this.#sinks = sinks
    this.#metrics = metrics
    this.#log = log
  }

  static async start (options: IngestOptions, sinks: EventWriter, metrics: AgentMetrics, log: Logger): Promise<Ingest> {
    const ingest = new Ingest(options, sinks, metrics, log)
    const gid = options.socketGroup === undefined ? undefined : resolveGroup(options.socketGroup)
    try {
      for (const spec of options.listen) {
        ingest.#listeners.push(await openListener(spec, (socket, listener) => ingest.#accept(socket, listener), log, gid))
      }
    } catch (err) {
      await ingest.close()
      throw err
    }
    return ingest
  }

  get addresses (): string[] {
    return this.#listeners.map((l) => l.address)
  }

  /** Stops accepting, lets every connection finish the frames it has read, and closes them. */
  async close (): Promise<void> {
    // Together: a server's close completes only once its connections are gone.
    const listeners = Promise.all(this.#listeners.map((l) => l.close()))
    await Promise.all([...this.#connections].map((c) => c.shutdown()))
    await listeners
  }

  #accept (socket: Socket, listener: string): void {
    const id = this.#nextId++
    const peer = socket.remoteAddress === undefined
      ? listener // unix sockets have no peer address
      : `tcp://${socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}`
    if (this.#connections.size >= this.#options.maxConnections) {
      this.#refuse(socket, id, peer)
      return
    }
    if (socket.remoteAddress !== undefined) socket.setNoDelay(true)
    const connection = new Connection(socket, {
      id,
      peer,
      mode: this.#options.mode,
      maxFrameSize: this.#options.maxFrameSize,
      maxBatch: this.#options.maxBatch,
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
      checkToken: this.#checkToken,
      sinks: this.#sinks,
      metrics: this.#metrics,
      log: this.#log,
      containerOf: peerOf(socket),
    })
    this.#connections.add(connection)
    this.#metrics.connectionOpened()
    void connection.closed.then(() => {
      this.#connections.delete(connection)
      this.#metrics.connectionClosed()
    })
  }

  #refuse (socket: Socket, id: number, peer: string): void {
    const code = 'SW_ERR_TOO_MANY_CONNECTIONS'
    const message = `the agent is at its limit of ${this.#options.maxConnections} connections`
    this.#metrics.protocolError(code)
    this.#log.warn({ code, conn: id, peer, error: message }, 'protocol error')
    socket.on('error', () => {})
    socket.end(encodeMessage({ type: 'error', code, message }))
    // Read and discard so closing does not reset the connection before the error frame is read.
    socket.resume()
    setTimeout(() => socket.destroy(), REFUSE_GRACE_MS).unref()
  }
}

/**
 * How to find a client's container: unix-socket and loopback clients share the agent's task, so
 * the pid in their hello is one the agent can look at; a client from elsewhere is not looked up.
 */
function peerOf (socket: Socket): ((pid: number) => string | undefined) | undefined {
  let peer: PeerSocket
  if (socket.remoteAddress === undefined) peer = { kind: 'unix' }
  else if (isLoopback(socket.remoteAddress.replace(/^::ffff:/, '')) && socket.localPort !== undefined && socket.remotePort !== undefined) {
    peer = { kind: 'tcp', agentPort: socket.localPort, clientPort: socket.remotePort }
  } else return undefined
  return (pid) => peerContainerId(pid, peer)
}
