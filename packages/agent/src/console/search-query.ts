/**
 * Search over every stored event: free words through the full-text index (FTS5), and field terms.
 *
 * - `word`, `"two words"`: each must appear in the event (as plain text: `/etc/passwd` and
 *   `a-b` are words, not syntax).
 * - `kind:net.flow`, `source:`, `service:`, `container:`, `id:`: the event's indexed columns.
 * - `flow.dport:443`, `http.user_agent:"curl/8.0"`, any dotted path into the event: that value
 *   exactly. The value is also a full-text phrase (every string and number of an event is in its
 *   text), so the index finds the candidates and the path only confirms them.
 * - raw mode: the query goes to FTS5 as is (AND, OR, NOT, NEAR, prefix*); malformed syntax is a
 *   SW_ERR_BAD_QUERY with SQLite's reason.
 *
 * Results are newest stored first (the index's rowid order, so a common word does not sort
 * millions of rows). The count stops at COUNT_CAP.
 */
import type { Database as Db } from 'better-sqlite3'
import type { SidewatchEvent } from '@sidewatch/proto'
import { EVENT_KINDS } from '@sidewatch/proto/schema'
import { AgentError } from '../errors'
import { parsePage, parseTime } from './time-range'

export const COUNT_CAP = 10_000
export const SEARCH_PAGE_SIZE = 50
const SEQ_BOUND_SCAN = 200_000
const COLUMNS = ['kind', 'source', 'service', 'container', 'id'] as const

export interface SearchRequest {
  q: string
  raw: boolean
  kind?: string
  sinceMs?: number
  untilMs?: number
  page: number
}

export interface SearchResult {
  events: Array<{ seq: number, event: SidewatchEvent }>
  /** Matches, up to COUNT_CAP. */
  count: number
  /** More than COUNT_CAP matched. */
  capped: boolean
}

interface ParsedQuery { match: string, where: string[], params: unknown[] }

export function parseSearchRequest (params: URLSearchParams, nowMs = Date.now()): SearchRequest {
  const req: SearchRequest = { q: (params.get('q') ?? '').trim(), raw: params.get('raw') === '1', page: parsePage(params.get('page')) }
  if (req.q.length > 2000) throw new AgentError('SW_ERR_BAD_QUERY', 'the search query is over 2,000 characters')
  const kind = params.get('kind') ?? ''
  if (kind !== '') {
    if (!(EVENT_KINDS as readonly string[]).includes(kind)) throw new AgentError('SW_ERR_BAD_QUERY', `kind ${JSON.stringify(kind.slice(0, 100))} is not one of ${EVENT_KINDS.join(', ')}`)
    req.kind = kind
  }
  const since = (params.get('since') ?? '').trim()
  if (since !== '') req.sinceMs = parseTime('since', since, nowMs)
  const until = (params.get('until') ?? '').trim()
  if (until !== '') req.untilMs = parseTime('until', until, nowMs)
  return req
}

/** Splits the query into words and field terms; throws SW_ERR_BAD_QUERY on what cannot be read. */
export function parseQuery (q: string): ParsedQuery {
  const phrases: string[] = []
  const where: string[] = []
  const params: unknown[] = []
  for (const token of tokens(q)) {
    const field = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):(.*)$/s.exec(token.text)
    const name = field?.[1]
    if (field === null || name === undefined || token.quoted || !(COLUMNS.includes(name as typeof COLUMNS[number]) || name.includes('.'))) {
      if (token.text !== '') phrases.push(phrase(token.text))
      continue
    }
    const value = unquote(field[2] as string)
    if (value === '') throw new AgentError('SW_ERR_BAD_QUERY', `the field term ${JSON.stringify(token.text.slice(0, 100))} has no value (write ${name}:VALUE)`)
    if (COLUMNS.includes(name as typeof COLUMNS[number])) {
      if (name === 'kind' && !(EVENT_KINDS as readonly string[]).includes(value)) throw new AgentError('SW_ERR_BAD_QUERY', `kind:${value.slice(0, 100)} is not a kind: ${EVENT_KINDS.join(', ')}`)
      where.push(`e.${name} = ?`)
      params.push(value)
      continue
    }
    const bool = value === 'true' ? '1' : value === 'false' ? '0' : undefined
    where.push('CAST(json_extract(e.json, ?) AS TEXT) = ?')
    params.push(`$.${name}`, bool ?? value)
    if (bool === undefined) phrases.push(phrase(value))
  }
  return { match: phrases.join(' '), where, params }
}

export function searchStore (db: Db, req: SearchRequest, pageSize = SEARCH_PAGE_SIZE): SearchResult {
  const parsed: ParsedQuery = req.raw ? { match: req.q, where: [], params: [] } : parseQuery(req.q)
  const where = [...parsed.where]
  const params = [...parsed.params]
  if (req.kind !== undefined) { where.push('e.kind = ?'); params.push(req.kind) }
  if (req.sinceMs !== undefined) { where.push('e.ts_ms >= ?'); params.push(req.sinceMs) }
  if (req.untilMs !== undefined) { where.push('e.ts_ms < ?'); params.push(req.untilMs) }
  const offset = (req.page - 1) * pageSize
  let rows: Array<{ seq: number, json: string }>
  let count: number
  try {
    if (parsed.match.trim() !== '') {
      const bound = req.sinceMs === undefined ? undefined : firstSeqSince(db, req.sinceMs)
      if (bound !== undefined) { where.push('f.rowid >= ?'); params.push(bound) }
      const cond = where.map((w) => ` AND ${w}`).join('')
      const joined = where.some((w) => w.includes('e.'))
      const from = `FROM events_fts f ${joined ? 'JOIN events e ON e.seq = f.rowid ' : ''}WHERE events_fts MATCH ?${cond}`
      // One pass over the index gives the count (up to the cap) and the page's seqs: a phrase of
      // common tokens (an IP address is four) costs as much to match as everything else together.
      const seqs = db.prepare(`SELECT f.rowid ${from} ORDER BY f.rowid DESC LIMIT ?`).pluck().all(parsed.match, ...params, COUNT_CAP + 1) as number[]
      count = seqs.length
      if (offset + pageSize <= COUNT_CAP) {
        rows = eventsBySeq(db, seqs.slice(offset, offset + pageSize))
      } else {
        rows = db.prepare(`SELECT f.rowid AS seq, ev.json ${from.replace('FROM events_fts f ', 'FROM events_fts f JOIN events ev ON ev.seq = f.rowid ')} ORDER BY f.rowid DESC LIMIT ? OFFSET ?`).all(parsed.match, ...params, pageSize, offset) as typeof rows
      }
    } else {
      const cond = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
      rows = db.prepare(`SELECT e.seq, e.json FROM events e ${cond} ORDER BY e.seq DESC LIMIT ? OFFSET ?`).all(...params, pageSize, offset) as typeof rows
      count = (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM events e ${cond} LIMIT ?)`).get(...params, COUNT_CAP + 1) as { n: number }).n
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_ERROR') {
      throw new AgentError('SW_ERR_BAD_QUERY', `search query ${JSON.stringify(req.q.slice(0, 200))} is not valid FTS5 syntax: ${(err as Error).message}`)
    }
    throw err
  }
  return {
    events: rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.json) as SidewatchEvent })),
    count: Math.min(count, COUNT_CAP),
    capped: count > COUNT_CAP,
  }
}

/** The events of `seqs`, in that order. */
function eventsBySeq (db: Db, seqs: readonly number[]): Array<{ seq: number, json: string }> {
  if (seqs.length === 0) return []
  const rows = db.prepare(`SELECT seq, json FROM events WHERE seq IN (${seqs.map(() => '?').join(', ')})`).all(...seqs) as Array<{ seq: number, json: string }>
  const bySeq = new Map(rows.map((r) => [r.seq, r]))
  return seqs.flatMap((s) => bySeq.get(s) ?? [])
}

/**
 * The lowest seq of the events at or after `sinceMs` when there are at most SEQ_BOUND_SCAN of them
 * (an index-only scan): a rowid range the full-text index can start from instead of reading every
 * match back to the beginning. Exact (late arrivals included: it is the minimum over all of them);
 * undefined for wide ranges, where it would not save much.
 */
function firstSeqSince (db: Db, sinceMs: number): number | undefined {
  const row = db.prepare(`SELECT min(seq) AS seq, count(*) AS n FROM (SELECT seq FROM events WHERE ts_ms >= ? LIMIT ${SEQ_BOUND_SCAN + 1})`).get(sinceMs) as { seq: number | null, n: number }
  return row.n <= SEQ_BOUND_SCAN ? row.seq ?? Number.MAX_SAFE_INTEGER : undefined
}

/** Whitespace-separated tokens; a double-quoted run (also after `name:`) is one token. */
function tokens (q: string): Array<{ text: string, quoted: boolean }> {
  const out: Array<{ text: string, quoted: boolean }> = []
  let i = 0
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i] as string)) i++
    if (i >= q.length) break
    let text = ''
    let quoted = false
    const startsQuoted = q[i] === '"'
    while (i < q.length && !/\s/.test(q[i] as string)) {
      if (q[i] === '"') {
        const end = q.indexOf('"', i + 1)
        if (end === -1) throw new AgentError('SW_ERR_BAD_QUERY', `the search query has an unclosed quote at character ${i + 1}`)
        text += q.slice(i, end + 1)
        i = end + 1
        quoted = true
      } else {
        text += q[i]
        i++
      }
    }
    out.push({ text: startsQuoted ? unquote(text) : text, quoted: startsQuoted || (quoted && !text.includes(':')) })
  }
  return out
}

/** An FTS5 phrase: the text's tokens, in order, as plain text (no operators). */
function phrase (text: string): string {
  return `"${text.replace(/\s+/g, ' ').replaceAll('"', '""')}"`
}

function unquote (text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
}
