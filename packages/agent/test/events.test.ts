// Events end to end: validated, stored in the jsonl and sqlite sinks, and read back by the
// `events` and `search` commands.
import t from 'tap'
import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateEvent } from '@sidewatch/proto/schema'
import { ftsPhrases, openStore, searchEvents } from '../src/store/query'
import { SCHEMA_VERSION } from '../src/store/schema'
import { httpGet, jsonLines, metric, readJsonl, runCli, runClis, startAgent, waitFor, waitForMetric } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('events reach both sinks and the CLI finds them', async (t) => {
  const agent = await startAgent(t, { config: { max_batch: 10, default_rules: false } }) // the sinks, not the rules (agent-rules.test.ts)
  const client = await TestClient.greeted(agent.tcp)
  const exec = events.exec()
  const batch = [exec, events.fsOp(), events.httpRequest(), events.alert(), events.flow()]

  const { errors, ack } = await client.batch(1, batch)
  t.same(errors, [])
  t.same(ack, { type: 'ack', seq: 1, accepted: 5, rejected: 0 })

  const lines = await waitFor('5 lines in the jsonl sink', () => {
    const got = readJsonl(agent.jsonl).filter((e) => e.kind !== 'agent.stats')
    return got.length >= 5 ? got : undefined
  })
  t.same(lines, batch, 'jsonl holds the events exactly as sent, in order')

  const db = new Database(agent.db, { readonly: true })
  t.teardown(() => db.close())
  const row = await waitFor('the exec row in sqlite', () => db.prepare('SELECT * FROM events WHERE id = ?').get(exec.id) as Record<string, unknown> | undefined)
  t.match(row, { id: exec.id, ts: exec.ts, ts_ms: Date.parse(exec.ts), kind: 'process.exec', source: 'node-asm', service: 'checkout', container: null })
  t.same(JSON.parse(row.json as string), exec, 'json column holds the event')
  t.equal(db.prepare("SELECT journal_mode AS m FROM pragma_journal_mode").get() !== undefined, true)
  await waitFor('all 5 rows', () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n === 5 || undefined)
  t.equal((db.prepare("SELECT container FROM events WHERE kind = 'http.request'").get() as { container: string }).container, 'web')
  t.equal((db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v, SCHEMA_VERSION, 'schema version recorded')

  t.test('events: table, --json, --kind, --since, --limit', async (t) => {
    // The runs are independent reads: start them together.
    const [human, all, execs, lastTwo, future] = await runClis(
      ['events', '--db', agent.db],
      ['events', '--db', agent.db, '--json'],
      ['events', '--db', agent.db, '--json', '--kind', 'process.exec', '--since', '10m'],
      ['events', '--db', agent.db, '--json', '--limit', '2'],
      ['events', '--db', agent.db, '--since', '2999-01-01T00:00:00Z', '--kind', 'login.ssh'],
    )
    t.equal(human.code, 0, human.stderr)
    const rows = human.stdout.trimEnd().split('\n')
    t.match(rows[0], /^TIME +KIND +SOURCE +SERVICE +SUMMARY$/)
    t.equal(rows.length, 6, 'header and 5 events')
    t.match(human.stdout, /process\.exec +node-asm +checkout +\w+( \(shell\))?: cat \/etc\/passwd/, 'exec summarised by its API and command line')
    t.match(human.stdout, /fs\.op .* open \/srv\/app\/uploads\/a-b\.txt/)
    t.match(human.stdout, /http\.request .* GET \/cart 200 3ms/)
    t.match(human.stdout, /\[warning\] shell_in_container: a shell ran in checkout/)
    t.match(human.stdout, /tcp 10\.0\.0\.5:51000 → 169\.254\.169\.254:80 outbound fin 1500B/)
    t.same(jsonLines(all.stdout).map((e) => e.id), batch.map((e) => e.id), 'newest last, as sent')
    t.same(jsonLines(execs.stdout), [exec], '--kind and --since')
    t.same(jsonLines(lastTwo.stdout).map((e) => e.id), batch.slice(3).map((e) => e.id), '--limit keeps the newest')
    t.equal(future.code, 0)
    t.equal(future.stdout, '')
    t.match(future.stderr, /no events/)
  })

  t.test('search: words, paths and service names, human and --json', async (t) => {
    const store = openStore(agent.db)
    t.teardown(() => store.close())
    for (const [query, kind] of [['passwd', 'process.exec'], ['/etc/passwd', 'process.exec'], ['a-b', 'fs.op'],
      ['169.254.169.254', 'net.flow'], ['shell_in_container', 'alert'], ['cart', 'http.request'], ['cat passwd', 'process.exec']]) {
      t.same(searchEvents(store, ftsPhrases(query as string), { limit: 10 }).map((e) => e.kind), [kind], `${query} finds the ${kind}`)
    }
    t.ok(searchEvents(store, ftsPhrases('checkout'), { limit: 10 }).length >= 4, 'a service name finds its events')
    t.same(searchEvents(store, ftsPhrases('nothing-like-this'), { limit: 10 }), [])

    const [json, human, raw, bad, odd] = await runClis(
      ['search', '/etc/passwd', '--db', agent.db, '--json'],
      ['search', 'passwd', '--db', agent.db],
      ['search', 'passwd OR cart', '--fts', '--db', agent.db, '--json'],
      ['search', 'passwd AND (', '--fts', '--db', agent.db],
      ['search', '"quoted" ( ) : * ^ OR', '--db', agent.db, '--json'],
    )
    t.equal(json.code, 0, json.stderr)
    t.same(jsonLines(json.stdout), [exec])
    t.match(human.stdout, /process\.exec .* cat \/etc\/passwd/)
    t.equal(jsonLines(raw.stdout).length, 2, '--fts passes FTS5 syntax through')
    t.equal(bad.code, 2)
    t.match(bad.stderr, /^sidewatch-agent: SW_ERR_BAD_QUERY: .*\n$/)
    t.notMatch(bad.stderr, /at .*\.js/, 'no stack trace')
    t.equal(odd.code, 0, `punctuation and operators are plain text by default: ${odd.stderr}`)
  })

  t.test('a resent event id is stored once', async (t) => {
    const marker = events.fsOp('/tmp/marker')
    t.match(await client.batch(2, [exec, marker]), { ack: { accepted: 2 } })
    await waitFor('the batch flushed', () => db.prepare('SELECT 1 FROM events WHERE id = ?').get(marker.id))
    t.equal((db.prepare('SELECT count(*) AS n FROM events WHERE id = ?').get(exec.id) as { n: number }).n, 1)
    await waitFor('jsonl is append-only: both copies', () => readJsonl(agent.jsonl).filter((e) => e.id === exec.id).length === 2 || undefined)
    const store = openStore(agent.db)
    t.teardown(() => store.close())
    t.equal(searchEvents(store, ftsPhrases('passwd'), { limit: 10 }).length, 1, 'and indexed once')
  })

  t.test('invalid events are answered one by one; the good ones in the batch are stored', async (t) => {
    const good1 = events.exec({ service: 'billing' })
    const good2 = events.fsOp('/tmp/good')
    const noFile = events.exec()
    delete (noFile as { exec: Record<string, unknown> }).exec.file
    const badKind = { ...events.fsOp(), kind: 'fs.exploded' }
    const { errors, ack } = await client.batch(3, [good1, noFile, good2, badKind, 'not an object'])
    t.same(ack, { type: 'ack', seq: 3, accepted: 2, rejected: 3 })
    t.match(errors, [
      { type: 'error', code: 'SW_ERR_INVALID_EVENT', field: '/events/1/exec/file', seq: 3 },
      { type: 'error', code: 'SW_ERR_INVALID_EVENT', field: '/events/3/kind', seq: 3 },
      { type: 'error', code: 'SW_ERR_INVALID_EVENT', field: '/events/4', seq: 3 },
    ])
    await waitFor('the good ones stored', () => (db.prepare('SELECT count(*) AS n FROM events WHERE id IN (?, ?)').get(good1.id, good2.id) as { n: number }).n === 2 || undefined)
    const line = await agent.proc.line('invalid events logged', (l) => l.code === 'SW_ERR_INVALID_EVENT')
    t.match(line, { seq: 3, rejected: 3, issues: [{ field: '/events/1/exec/file' }] })
    const text = (await httpGet(agent.metrics, '/metrics')).body
    t.equal(metric(text, 'sidewatch_events_rejected_total', { kind: 'process.exec' }), 1)
    t.equal(metric(text, 'sidewatch_events_rejected_total', { kind: 'unknown' }), 2, 'unknown kinds share one label')
    t.equal(metric(text, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_INVALID_EVENT' }), 3)
  })

  t.test('a batch over max_batch is refused whole, and the connection goes on', async (t) => {
    client.send({ type: 'events', seq: 4, events: Array.from({ length: 11 }, () => events.exec()) })
    t.match(await client.next(), { type: 'error', code: 'SW_ERR_BATCH_TOO_LARGE', seq: 4, message: /11 events .* limit of 10/ })
    t.match(await client.batch(5, Array.from({ length: 10 }, () => events.exec())), { ack: { accepted: 10 } }, 'a batch at the limit is fine')
    await waitForMetric(agent, 'sidewatch_events_dropped_total', { kind: 'process.exec' }, 11)
  })

  t.test('drops reported in hello become a counter and a log line (the SDK sends the stats event itself)', async (t) => {
    const late = await TestClient.greeted(agent.unix, { dropped: 17, service: 'late-svc', pid: 777 })
    const line = await agent.proc.line('drop warning', (l) => String(l.msg).includes('dropped') && l.dropped === 17)
    t.match(line, { level: 'warn', service: 'late-svc', pid: 777 })
    await waitForMetric(agent, 'sidewatch_sdk_dropped_events_total', {}, 17)
    await late.close()
  })

  t.test('the agent reports its own stats at shutdown', async (t) => {
    await client.close()
    t.equal((await agent.proc.stop('SIGTERM')).code, 0)
    const own = readJsonl(agent.jsonl).filter((e) => e.kind === 'agent.stats' && e.stats.component === 'agent')
    t.equal(own.length, 1)
    t.match(own[0], { source: 'agent', stats: { counters: { events_received: 22, events_accepted: 19, events_rejected: 3, events_dropped: 11, sdk_dropped_events: 17 } } })
    t.equal(validateEvent(own[0]), undefined)
  })
})

t.test('events and search refuse a missing or corrupt database with SW_ERR_DB', async (t) => {
  const dir = t.testdir()
  const corrupt = join(dir, 'corrupt.db')
  writeFileSync(corrupt, 'this is not sqlite '.repeat(100))
  const foreign = join(dir, 'foreign.db')
  new Database(foreign).exec('CREATE TABLE t (x)').close()
  const cases = [[['events'], join(dir, 'missing.db'), /no event database/], [['search', 'x'], corrupt, /not a database/],
    [['events'], corrupt, /not a database/], [['events'], foreign, /not a sidewatch event database/]] as const
  const results = await Promise.all(cases.map(([command, db]) => runCli([...command, '--db', db])))
  for (const [i, [command, db, message]] of cases.entries()) {
    const res = results[i] as Awaited<ReturnType<typeof runCli>>
    t.equal(res.code, 2, `${command[0]} ${db}`)
    t.match(res.stderr, /^sidewatch-agent: SW_ERR_DB: /)
    t.match(res.stderr, message)
    t.equal(res.stderr.split('\n').length, 2, 'one line')
  }
})
