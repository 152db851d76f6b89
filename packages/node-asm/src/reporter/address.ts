/** Where the agent listens: `tcp://HOST:PORT` or `unix:/PATH` (the agent's own listen spec syntax). */
import { isAbsolute, resolve } from 'node:path'

export type AgentAddress =
  | { kind: 'unix', path: string }
  | { kind: 'tcp', host: string, port: number }

const TCP = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

/** Parses an address; returns a message saying what was expected when it is not valid. */
export function parseAgentAddress (text: string): AgentAddress | { error: string } {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length).replace(/^\/\/(?=\/)/, '')
    if (path === '') return { error: 'has no socket path; expected unix:/PATH' }
    return { kind: 'unix', path: isAbsolute(path) ? path : resolve(path) }
  }
  const match = TCP.exec(text)
  if (match === null) return { error: 'is not an agent address; expected tcp://127.0.0.1:7878 or unix:/PATH' }
  const port = Number(match[2])
  if (port < 1 || port > 65535) return { error: `has port ${port}; expected 1-65535` }
  let host = match[1] as string
  if (host.startsWith('[')) host = host.slice(1, -1)
  return { kind: 'tcp', host, port }
}

export function formatAgentAddress (address: AgentAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`
  return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
}
