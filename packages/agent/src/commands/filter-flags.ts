/** The flags `events` and `search` share: --db, --kind, --since, --limit, --json. */
import type * as ProtoSchema from '@sidewatch/proto/schema'
import { parseTimeBack } from '../duration'
import { AgentError } from '../errors'
import type { EventFilter } from '../store/query'
import { positiveInt } from './args'

export const FILTER_OPTIONS = {
  db: { type: 'string' },
  kind: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const DEFAULT_LIMIT = 100

export function filterFrom (command: string, values: { kind?: string, since?: string, limit?: string }, now = Date.now()): EventFilter {
  const filter: EventFilter = { limit: values.limit === undefined ? DEFAULT_LIMIT : positiveInt(command, 'limit', values.limit) }
  if (values.kind !== undefined) {
    // Loaded only here: compiling the schema costs a few hundred ms the other paths do not need.
    const { EVENT_KINDS } = require('@sidewatch/proto/schema') as typeof ProtoSchema
    if (!(EVENT_KINDS as readonly string[]).includes(values.kind)) {
      throw new AgentError('SW_ERR_USAGE', `--kind ${JSON.stringify(values.kind)} is not one of ${EVENT_KINDS.join(', ')}`)
    }
    filter.kind = values.kind
  }
  if (values.since !== undefined) filter.sinceMs = parseSince(values.since, now)
  return filter
}

/** `10m`, `2h`, `1d` (that long ago) or an RFC 3339 time. */
export function parseSince (text: string, now: number): number {
  const ms = parseTimeBack(text, now)
  if (ms !== undefined) return ms
  throw new AgentError('SW_ERR_USAGE', `--since ${JSON.stringify(text)} is not a duration (30s, 10m, 2h, 1d) or an RFC 3339 time`)
}

export function requireDb (command: string, db: string | undefined): string {
  if (db === undefined || db === '') throw new AgentError('SW_ERR_USAGE', `--db FILE is required (see sidewatch-agent ${command} --help)`)
  return db
}
