/**
 * Clock ticks per second (USER_HZ), the unit of stat's start time. Linux reports 100 on every
 * architecture sidewatch runs on; `getconf CLK_TCK` is asked once in case this one differs, and
 * 100 stands when getconf is missing (distroless and scratch images have none).
 */
import { execFileSync } from 'node:child_process'

export const DEFAULT_CLOCK_TICKS = 100

let cached: number | undefined

export function clockTicks (): number {
  if (cached !== undefined) return cached
  cached = DEFAULT_CLOCK_TICKS
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    if (Number.isInteger(value) && value > 0) cached = value
  } catch {}
  return cached
}
