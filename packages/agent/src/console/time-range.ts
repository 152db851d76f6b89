/**
 * The console's time inputs: a duration back from now (`15m`, `2h`, `7d`), a browser's
 * datetime-local value (`2026-01-31T12:00`, read as UTC) or an RFC 3339 time. Anything else is a
 * SW_ERR_BAD_QUERY naming the parameter.
 */
import { parseTimeBack } from '../duration'
import { AgentError } from '../errors'

export function parseTime (name: string, text: string, nowMs: number): number {
  // A datetime-local value has no zone: read as UTC.
  const ms = parseTimeBack(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text, nowMs)
  if (ms !== undefined) return ms
  throw new AgentError('SW_ERR_BAD_QUERY', `${name} ${JSON.stringify(text.slice(0, 100))} is not a time: give a duration back from now (15m, 2h, 7d), a date and time (2026-01-31T12:00, UTC) or an RFC 3339 time`)
}

/** The page number of `?page=`: a whole number from 1. */
export function parsePage (text: string | null): number {
  if (text === null || text === '') return 1
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new AgentError('SW_ERR_BAD_QUERY', `page ${JSON.stringify(text.slice(0, 100))} is not a page number (1, 2, ...)`)
  return Number(text)
}
