import { listEvents, openStore } from '../store/query'
import { parseCommandArgs } from './args'
import { filterFrom, FILTER_OPTIONS, requireDb } from './filter-flags'
import { printEvents } from './print-events'

export const EVENTS_USAGE = `Usage: sidewatch-agent events --db FILE [--kind KIND] [--since 10m|2h|1d|RFC3339] [--limit N] [--json]

Lists the newest stored events (default 100), newest last: a table of time, kind, source,
service and a one-line summary, or one JSON event per line with --json.
`

/** The flags of `events`: the filter flags it shares with `search`. */
export const EVENTS_OPTIONS = FILTER_OPTIONS

export async function eventsCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('events', { args: argv, options: EVENTS_OPTIONS })
  if (values.help === true) { process.stdout.write(EVENTS_USAGE); return }
  const filter = filterFrom('events', values)
  const db = openStore(requireDb('events', values.db))
  try {
    printEvents(listEvents(db, filter), values.json === true)
  } finally {
    db.close()
  }
}
