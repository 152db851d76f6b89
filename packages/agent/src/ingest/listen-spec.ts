/**
 * Where the agent listens: `unix:/PATH.sock` or `tcp://HOST:PORT`. A TCP spec without a host
 * (`tcp://:7878`) binds loopback only; any other interface has to be named explicitly.
 */
import { isAbsolute, resolve } from 'node:path'
import { AgentError } from '../errors'

export type ListenSpec =
  | { kind: 'unix', path: string }
  | { kind: 'tcp', host: string, port: number }

const TCP = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/

export function parseListenSpec (text: string): ListenSpec {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length)
    if (path === '') throw new AgentError('SW_ERR_LISTEN', `listen spec ${JSON.stringify(text)} has no socket path; expected unix:/PATH.sock`)
    return { kind: 'unix', path: isAbsolute(path) ? path : resolve(path) }
  }
  const match = TCP.exec(text)
  if (match === null) {
    throw new AgentError('SW_ERR_LISTEN',
      `listen spec ${JSON.stringify(text)} is not valid; expected unix:/PATH.sock or tcp://127.0.0.1:PORT`)
  }
  const port = Number(match[2])
  if (port > 65535) throw new AgentError('SW_ERR_LISTEN', `listen spec ${JSON.stringify(text)}: port ${port} is out of range 0-65535`)
  let host = match[1] as string
  if (host.startsWith('[')) host = host.slice(1, -1)
  return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port }
}

/** The spec as logged and returned in `addresses`; for tcp, with the port actually bound. */
export function formatListenSpec (spec: ListenSpec): string {
  if (spec.kind === 'unix') return `unix:${spec.path}`
  return `tcp://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`
}

export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
