// Sinks and the store, in-process: close flushes what the timers have not, the sqlite sink
// deduplicates and indexes, the schema is versioned, and queries escape user input.
import t from 'tap'
import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateEvent } from '@sidewatch/proto/schema'
import { createLogger } from '../src/log'
import { JsonlSink } from '../src/sinks/jsonl'
import { SqliteSink } from '../src/sinks/sqlite'
import type { SinkContext } from '../src/sinks/sink'
import { SCHEMA_VERSION } from '../src/store/schema'
import { flattenText } from '../src/store/flatten'
import { ftsPhrases, listEvents, openStore, searchEvents } from '../src/store/query'
import { summarize } from '../src/commands/summary'
import { printEvents } from '../src/commands/print-events'
import { AgentMetrics } from '../src/metrics'
import { statsEvent } from '../src/stats'
import { events } from './helpers/client'

const errors: unknown[] = []
const ctx: SinkContext = { log: createLogger('silent'), onError: (_sink, err) => errors.push(err) }

t.test('jsonl: close writes what is still buffered, in order', async (t) => {
  const file = join(t.testdir(), 'e.jsonl')
  const sink = await JsonlSink.open(file, ctx)
  const sent = Array.from({ length: 50 }, () => events.exec())
  for (let i = 0; i < sent.length; i += 10) await sink.write(sent.slice(i, i + 10))
  await sink.close()
  t.same(readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)), sent)
  await t.rejects(sink.write([events.exec()]), { code: 'SW_ERR_SINK' }, 'no writes after close')
})

t.test('sqlite: close commits the pending batch; duplicates ignored; text indexed', async (t) => {
  const file = join(t.testdir(), 'e.db')
  const sink = await SqliteSink.open(file, ctx)
  const exec = events.exec({ ts: '2026-11-26T14:52:15.123456789+01:00' })
  await sink.write([exec, events.fsOp('/var/log/x-y.log'), exec])
  await sink.write([exec])
  await sink.close()
  const db = new Database(file, { readonly: true })
  t.teardown(() => db.close())
  t.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal')
  t.same(db.prepare('SELECT id, ts_ms, kind FROM events ORDER BY seq').all().map((r) => (r as { kind: string }).kind), ['process.exec', 'fs.op'])
  t.equal((db.prepare('SELECT ts_ms FROM events WHERE id = ?').get(exec.id) as { ts_ms: number }).ts_ms, Date.parse('2026-11-26T13:52:15.123Z'), 'ts_ms from a nanosecond, offset time')
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all().map((r) => (r as { name: string }).name)
  t.ok(names.includes('events_ts_ms') && names.includes('events_kind'), 'time and kind indexes')
  t.equal((db.prepare('SELECT count(*) AS n FROM events_fts').get() as { n: number }).n, 2, 'indexed once each')
  t.same(errors, [])

  const store = openStore(file)
  t.teardown(() => store.close())
  t.same(searchEvents(store, ftsPhrases('x-y.log'), { limit: 10 }).map((e) => e.kind), ['fs.op'])
  t.same(searchEvents(store, ftsPhrases('"/etc/passwd"'), { limit: 10 }).map((e) => e.kind), ['process.exec'], 'quotes in input are escaped')
  t.same(searchEvents(store, ftsPhrases('NEAR( OR'), { limit: 10 }), [], 'operators are words, not syntax')
  t.same(listEvents(store, { kind: 'fs.op', limit: 10 }).map((e) => e.kind), ['fs.op'])
  t.throws(() => searchEvents(store, 'passwd AND (', { limit: 1 }), { code: 'SW_ERR_BAD_QUERY' })
  t.throws(() => searchEvents(store, 'nosuchcolumn:passwd', { limit: 1 }), { code: 'SW_ERR_BAD_QUERY' })
})

t.test('the schema is versioned: reopening migrates nothing, a newer file is refused', async (t) => {
  const file = join(t.testdir(), 'e.db')
  await (await SqliteSink.open(file, ctx)).close()
  await (await SqliteSink.open(file, ctx)).close()
  const db = new Database(file)
  t.same(db.prepare('SELECT version FROM schema_version').all(), Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })))
  db.prepare("INSERT INTO schema_version VALUES (?, 'later')").run(SCHEMA_VERSION + 1)
  db.close()
  await t.rejects(SqliteSink.open(file, ctx), { code: 'SW_ERR_SINK', message: new RegExp(`schema version ${SCHEMA_VERSION + 1} is newer than this agent's ${SCHEMA_VERSION}`) })
  t.throws(() => openStore(file), { code: 'SW_ERR_DB', message: /newer than this agent/ })
})

t.test('search text is every string and number of the event', async (t) => {
  t.equal(flattenText({ a: 'x', b: [1, { c: 'y' }], d: true, e: null }), 'x 1 y')
  t.same(ftsPhrases('  /etc/passwd   a"b '), '"/etc/passwd" "a""b"')
})

t.test('stats events are valid, and summaries say what happened', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false })
  metrics.connectionOpened()
  metrics.protocolError('SW_ERR_AUTH')
  const ev = statsEvent('agent', metrics.snapshot(), { pid: 1 })
  t.equal(validateEvent(ev), undefined)
  t.match(ev.stats.counters, { connections: 1, connections_total: 1, protocol_errors: 1, 'protocol_errors.SW_ERR_AUTH': 1 })
  t.equal(summarize(ev), 'agent connections=1 connections_total=1 protocol_errors=1 protocol_errors.SW_ERR_AUTH=1')
  t.equal(summarize(events.exec()), 'exec (shell): cat /etc/passwd')
})

t.test('the human listing neutralises control characters from event text', async (t) => {
  let out = ''
  const sinkStream = { write: (s: string) => { out += s; return true } } as unknown as NodeJS.WritableStream
  const ev = events.exec({ exec: { method: 'exec', file: 'sh', args: [], shell: true, command_line: 'ls\u001b[2J\nrm -rf /\r\u009b' } })
  printEvents([ev], false, sinkStream)
  t.notMatch(out, /[\u001b\u009b\r]/)
  t.equal(out.trimEnd().split('\n').length, 2, 'header and one row')
  t.match(out, /ls \[2J rm -rf \//)
})
