/** The `fs.op` wire event, built when a reported file-system call ends. */
import type { FsOpEvent } from '@sidewatch/proto'
import type { FsContext } from '../channels'
import { cut, envelope, errorText, type Identity } from './envelope'

export function fsEvent (identity: Identity, ctx: FsContext, requestId?: string): FsOpEvent {
  const fs: FsOpEvent['fs'] = { op: cut(ctx.op, 64), path: cut(ctx.resolved, 4096), api: ctx.api }
  if (ctx.dest !== undefined) fs.dest = cut(ctx.dest, 4096)
  if (ctx.flags !== undefined) fs.flags = cut(ctx.flags, 32)
  if (ctx.error !== undefined) fs.error = cut(errorText(ctx.error), 1024)
  if (ctx.abort !== undefined) fs.blocked = true
  return { ...envelope(identity, requestId), kind: 'fs.op', fs }
}
