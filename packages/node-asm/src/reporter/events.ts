/**
 * Turns child_process channel payloads into wire events, and builds the SDK's own stats event.
 * Other kinds have their builders beside this one (events-http.ts, events-fs.ts, ...).
 */
import type { AgentStatsEvent, ProcessExecEvent } from '@sidewatch/proto'
import type { ChildProcessContext } from '../channels'
import { cut, envelope, errorText, type Identity } from './envelope'

export type { Identity } from './envelope'

const MAX_ARGS = 1024
const MAX_ARG = 8192

export function execEvent (identity: Identity, ctx: ChildProcessContext, requestId?: string): ProcessExecEvent {
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
  if (ctx.abort !== undefined) exec.blocked = true
  return { ...envelope(identity, requestId), kind: 'process.exec', exec }
}

/** The SDK's own counters; `dropped_events` is how many events were lost since the last report. */
export function statsEvent (identity: Identity, droppedEvents: number): AgentStatsEvent {
  return { ...envelope(identity), kind: 'agent.stats', stats: { component: 'sdk', counters: { dropped_events: droppedEvents } } }
}
