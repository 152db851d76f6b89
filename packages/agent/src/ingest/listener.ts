/**
 * One listening socket (unix or tcp). Hands every accepted socket to `onSocket`; knows nothing
 * about the protocol.
 */
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net'
import { chmod, chown } from 'node:fs/promises'
import { AgentError } from '../errors'
import type { Logger } from '../log'
import { formatListenSpec, isLoopback, type ListenSpec } from './listen-spec'
import { prepareSocketPath } from './unix-socket'

export interface Listener {
  /** As bound: `tcp://127.0.0.1:41234` (the real port for :0) or `unix:/run/sidewatch/agent.sock`. */
  readonly address: string
  /** Stops accepting; open connections are not touched. libuv unlinks a unix socket file itself. */
  close (): Promise<void>
}

/**
 * `socketGid`: a group that may use a unix socket too (socket-group.ts): the socket becomes 0660
 * and the directory made for it 0750, both that group's.
 */
export async function openListener (spec: ListenSpec, onSocket: (socket: Socket, listener: string) => void, log: Logger, socketGid?: number): Promise<Listener> {
  // allowHalfOpen: a client may end its side after its last batch and still read the acks.
  const server = createServer({ allowHalfOpen: true })
  if (spec.kind === 'unix') {
    await prepareSocketPath(spec.path, log, socketGid)
    // Bind with a umask that leaves only the owner's bits, so the socket is never reachable by
    // others even for the moment before the chmod.
    const previous = process.umask(0o177)
    try {
      await bind(server, spec, { path: spec.path })
    } finally {
      process.umask(previous)
    }
    await chmod(spec.path, 0o600)
    if (socketGid !== undefined) {
      try {
        await chown(spec.path, -1, socketGid)
      } catch (err) {
        throw new AgentError('SW_ERR_LISTEN_FAILED', `cannot give ${spec.path} to group ${socketGid}: ${(err as Error).message} (the agent's user must be in that group, or root)`, { cause: err })
      }
      await chmod(spec.path, 0o660)
      log.info({ path: spec.path, gid: socketGid }, 'socket open to its group')
    }
  } else {
    await bind(server, spec, { host: spec.host, port: spec.port })
    if (!isLoopback(spec.host)) {
      log.warn({ host: spec.host }, 'listening beyond loopback: any host that can reach this address can report events')
    }
  }
  const address = spec.kind === 'unix' ? formatListenSpec(spec) : formatListenSpec({ ...spec, port: (server.address() as AddressInfo).port })
  server.on('connection', (socket) => onSocket(socket, address))
  server.on('error', (err) => log.error({ err, address }, 'listener error'))
  log.info({ address }, 'listening')
  return { address, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

function bind (server: Server, spec: ListenSpec, options: { path: string } | { host: string, port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.message
      reject(new AgentError('SW_ERR_LISTEN_FAILED', `cannot listen on ${formatListenSpec(spec)}: ${why}`, { cause: err }))
    }
    server.once('error', onError)
    server.listen(options, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
