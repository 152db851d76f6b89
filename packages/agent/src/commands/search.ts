import { AgentError } from '../errors'
import { ftsPhrases, openStore, searchEvents } from '../store/query'
import { parseCommandArgs } from './args'
import { filterFrom, FILTER_OPTIONS, requireDb } from './filter-flags'
import { printEvents } from './print-events'

export const SEARCH_USAGE = `Usage: sidewatch-agent search QUERY --db FILE [--kind KIND] [--since 10m] [--limit N] [--json] [--fts]

Full-text search over every string in the stored events (commands, paths, URLs, services...).
Each word of QUERY is matched as plain text and all words must match: "/etc/passwd" finds
events containing etc followed by passwd, "curl evil.com" events with both. With --fts, QUERY
is passed to SQLite FTS5 as is (AND, OR, NOT, "phrases", prefix*); a malformed query is
refused with SW_ERR_BAD_QUERY.
`

/** The flags of `search`: the filter flags of `events`, and --fts. */
export const SEARCH_OPTIONS = { ...FILTER_OPTIONS, fts: { type: 'boolean' } } as const

export async function searchCommand (argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('search', { args: argv, options: SEARCH_OPTIONS, allowPositionals: true })
  if (values.help === true) { process.stdout.write(SEARCH_USAGE); return }
  if (positionals.length !== 1) {
    throw new AgentError('SW_ERR_USAGE', `search takes one QUERY argument (quote it if it has spaces), got ${positionals.length} (see sidewatch-agent search --help)`)
  }
  const query = positionals[0] as string
  const match = values.fts === true ? query : ftsPhrases(query)
  if (match.trim() === '') throw new AgentError('SW_ERR_BAD_QUERY', 'search query is empty')
  const filter = filterFrom('search', values)
  const db = openStore(requireDb('search', values.db))
  try {
    printEvents(searchEvents(db, match, filter), values.json === true)
  } finally {
    db.close()
  }
}
