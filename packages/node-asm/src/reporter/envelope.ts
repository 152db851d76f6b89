/**
 * The common envelope of every event this SDK sends, and the cut to schema lengths, shared by
 * the event builders (events.ts, events-http.ts, events-fs.ts, events-http-client.ts,
 * events-attack.ts).
 */
import { randomUUID } from 'node:crypto'
import type { Envelope } from '@sidewatch/proto'

/** Who is reporting: the same for every event of this process. */
export interface Identity {
  service: string
  runtime: { name: 'node', version: string }
  pid: number
  host?: string
}

export function envelope (identity: Identity, requestId?: string): Envelope {
  const env: Envelope = {
    id: randomUUID(),
    ts: new Date().toISOString(),
    source: 'node-asm',
    service: identity.service,
    runtime: identity.runtime,
    pid: identity.pid,
  }
  if (identity.host !== undefined) env.host = identity.host
  if (requestId !== undefined) env.request_id = cut(requestId, 128)
  return env
}

/** Cuts a string to the schema's limit so one huge value cannot get a whole batch rejected. */
export function cut (text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max)
}

/** An address the schema accepts, or undefined. */
export function endpoint (e: { address: string, port: number } | undefined): { address: string, port: number } | undefined {
  if (e === undefined || typeof e.address !== 'string') return undefined
  const port = Number.isInteger(e.port) && e.port >= 0 && e.port <= 65535 ? e.port : 0
  return { address: cut(e.address, 64), port }
}

export function errorText (err: Error): string {
  const code = (err as { code?: unknown }).code
  const message = typeof err.message === 'string' ? err.message : String(err)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}
