/**
 * Turns channel payloads into wire events: the common envelope, then the body, cut to the
 * lengths the event schema allows so one huge command line cannot get a batch rejected.
 */
import { randomUUID } from 'node:crypto'
import type { AgentStatsEvent, ProcessExecEvent } from '@sidewatch/proto'
import type { ChildProcessContext } from '../channels'

/** Who is reporting: the same for every event of this process. */
export interface Identity {
  service: string
  runtime: { name: 'node', version: string }
  pid: number
  host?: string
}

const MAX_ARGS = 1024
const MAX_ARG = 8192

export function execEvent (identity: Identity, ctx: ChildProcessContext): ProcessExecEvent {
  const exec: ProcessExecEvent['exec'] = {
    method: ctx.method,
    file: cut(ctx.file, 4096),
    args: ctx.args.slice(0, MAX_ARGS).map((a) => cut(a, MAX_ARG)),
    shell: ctx.shell,
    command_line: cut(ctx.command_line, 32768),
    sync: ctx.sync,
  }
  if (ctx.cwd !== undefined) exec.cwd = cut(ctx.cwd, 4096)
  if (ctx.pid !== undefined) exec.pid = ctx.pid
  if (ctx.error !== undefined) exec.error = cut(errorText(ctx.error), 1024)
  return { ...envelope(identity), kind: 'process.exec', exec }
}

/** The SDK's own counters; `dropped_events` is how many events were lost since the last report. */
export function statsEvent (identity: Identity, droppedEvents: number): AgentStatsEvent {
  return { ...envelope(identity), kind: 'agent.stats', stats: { component: 'sdk', counters: { dropped_events: droppedEvents } } }
}

function envelope (identity: Identity): Omit<ProcessExecEvent, 'kind' | 'exec'> {
  const env: Omit<ProcessExecEvent, 'kind' | 'exec'> = {
    id: randomUUID(),
    ts: new Date().toISOString(),
    source: 'node-asm',
    service: identity.service,
    runtime: identity.runtime,
    pid: identity.pid,
  }
  if (identity.host !== undefined) env.host = identity.host
  return env
}

function errorText (err: Error): string {
  const code = (err as { code?: unknown }).code
  const message = typeof err.message === 'string' ? err.message : String(err)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

function cut (text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max)
}
