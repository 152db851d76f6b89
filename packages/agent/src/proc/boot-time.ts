/**
 * When the machine booted, from the `btime` line of /proc/stat (seconds since the epoch). A
 * process's start time is boot time + stat field 22 / clock ticks per second.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AgentError } from '../errors'

/** The btime value of /proc/stat text, or undefined when there is none. */
export function parseBootTime (text: string): number | undefined {
  const match = /^btime (\d+)$/m.exec(text)
  return match === null ? undefined : Number(match[1])
}

/** Boot time of the machine whose /proc is `procRoot`; SW_ERR_PROC when it cannot be read. */
export function readBootTime (procRoot: string): number {
  let text: string
  try {
    text = readFileSync(join(procRoot, 'stat'), 'latin1')
  } catch (err) {
    throw new AgentError('SW_ERR_PROC', `cannot read ${join(procRoot, 'stat')}: ${(err as Error).message}`, { cause: err })
  }
  const btime = parseBootTime(text)
  if (btime === undefined) throw new AgentError('SW_ERR_PROC', `${join(procRoot, 'stat')} has no btime line; is ${procRoot} a proc file system?`)
  return btime
}

/**
 * RFC 3339 start time of a process that started `startTicks` clock ticks after boot; undefined
 * when that is no time a Date can hold (a stat line no kernel wrote: ticks past year 275,760).
 */
export function startTimeIso (bootTimeS: number, startTicks: number, ticksPerSecond: number): string | undefined {
  const date = new Date(bootTimeS * 1000 + Math.round(startTicks * 1000 / ticksPerSecond))
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}
