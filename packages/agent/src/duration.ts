/** Durations as written in configs and on the command line: `250ms`, `30s`, `10m`, `2h`, `1d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  if (match === null) return undefined
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number)
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}
