/** Durations as written in configs and on the command line: `250ms`, `30s`, `10m`, `2h`, `1d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * The time `text` names: a duration back from `nowMs` (`10m`, `2h`, `1d`) or an RFC 3339 date or
 * time; undefined when it is neither. (`--since`, the console's time filters.)
 */
export function parseTimeBack (text: string, nowMs: number): number | undefined {
  const ago = parseDuration(text)
  if (ago !== undefined) return nowMs - ago
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  if (match === null) return undefined
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number)
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}
