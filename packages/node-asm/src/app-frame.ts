/**
 * The first stack frame of the application's own code: outside node_modules, outside Node's
 * internals and outside this SDK. Taken only when an attack is found, so its cost (one stack
 * capture) is off the common path.
 */
import { dirname } from 'node:path'

const sdkDir = dirname(__dirname)

export function firstAppFrame (): string | undefined {
  const holder: { stack?: string } = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  Error.captureStackTrace(holder, firstAppFrame)
  Error.stackTraceLimit = limit
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?:\d+:\d+)\)?$/.exec(line.trim())
    if (m === null) continue
    const location = (m[1] as string).replace(/^file:\/\//, '')
    if (location.includes('/node_modules/') || location.startsWith(sdkDir)) continue
    return location
  }
  return undefined
}
