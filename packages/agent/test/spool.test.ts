// The durable spool: per-sink cursors, segments deleted once every sink is past them, restarts,
// torn last records, SIGKILL mid-write, and the byte bound with its drop counts.
import { spawn } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { Spool } from '../src/spool/spool'

const rec = (i: number): Buffer => Buffer.from(JSON.stringify({ id: `ev-${i}`, kind: 'process.start', pad: 'x'.repeat(i % 50) }))
const ids = (records: Buffer[]): string[] => records.map((r) => (JSON.parse(r.toString()) as { id: string }).id)
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `ev-${from + i}`)
const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()

t.test('each sink reads from its own cursor; a segment goes once every sink is past it', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['a', 'b'], segmentBytes: 1000 })
  for (let i = 0; i < 100; i += 10) spool.append(Array.from({ length: 10 }, (_, k) => rec(i + k)))
  t.ok(segments(dir).length > 3, 'several segments')
  const a1 = spool.read('a', 30)
  t.same(ids(a1.records), range(0, 30))
  spool.ack('a', a1.next)
  const a2 = spool.read('a', 1000)
  t.same(ids(a2.records), range(30, 100), 'the rest, across segments')
  spool.ack('a', a2.next)
  t.same(spool.stats().backlog, { a: 0, b: 100 })
  const before = segments(dir).length
  const b1 = spool.read('b', 100)
  t.same(ids(b1.records), range(0, 100), 'b still has everything')
  spool.ack('b', b1.next)
  t.ok(segments(dir).length < before, 'read segments deleted')
  t.equal(segments(dir).length, 1, 'only the one being written stays')
  t.same(spool.read('a', 10).records, [])
  spool.close()
})

t.test('after a restart, what was not acknowledged is read again', async (t) => {
  const dir = t.testdir()
  let spool = Spool.open(dir, { sinks: ['s'], segmentBytes: 500 })
  spool.append(range(0, 40).map((_, i) => rec(i)))
  const first = spool.read('s', 15)
  spool.ack('s', first.next)
  spool.read('s', 10) // read, not acknowledged
  spool.close()
  spool = Spool.open(dir, { sinks: ['s', 'new'], segmentBytes: 500 })
  t.same(ids(spool.read('s', 100).records), range(15, 40), 'from the last acknowledgement')
  const fresh = ids(spool.read('new', 100).records)
  const from = Number((fresh[0] as string).slice(3))
  t.ok(from <= 15, 'a new sink starts at the oldest record kept (the start of the oldest segment not deleted)')
  t.same(fresh, range(from, 40))
  spool.append([rec(40)])
  t.same(ids(spool.read('s', 100).records).slice(-1), ['ev-40'], 'appends go on after the old ones')
  spool.close()
})

t.test('a torn last record is cut off and counted; start-up goes on', async (t) => {
  for (const [what, tail] of [
    ['a cut header', Buffer.from([5, 0, 0])],
    ['a cut payload', Buffer.concat([Buffer.from([20, 0, 0, 0, 1, 2, 3, 4]), Buffer.from('{"id":')])],
    ['a bad checksum', Buffer.concat([Buffer.from([2, 0, 0, 0, 9, 9, 9, 9]), Buffer.from('{}')])],
  ] as const) {
    const dir = t.testdir()
    let spool = Spool.open(dir, { sinks: ['s'] })
    spool.append([rec(0), rec(1)])
    spool.close()
    const file = join(dir, segments(dir)[0] as string)
    const good = readFileSync(file).length
    appendFileSync(file, tail)
    spool = Spool.open(dir, { sinks: ['s'] })
    t.equal(spool.stats().torn, 1, `${what}: counted`)
    t.equal(readFileSync(file).length, good, `${what}: cut off`)
    spool.append([rec(2)])
    t.same(ids(spool.read('s', 10).records), ['ev-0', 'ev-1', 'ev-2'], `${what}: the good records and new ones`)
    spool.close()
  }
  const dir = t.testdir()
  writeFileSync(join(dir, 'cursors.json'), '{"s": [1, ')
  const spool = Spool.open(dir, { sinks: ['s'] })
  spool.append([rec(0)])
  t.same(ids(spool.read('s', 10).records), ['ev-0'], 'a torn cursors file: start from the oldest')
  spool.close()
})

t.test('SIGKILL mid-stream: every record append() returned for is there after a restart', async (t) => {
  const dir = t.testdir()
  const script = `
    const { Spool } = require(${JSON.stringify(resolve(__dirname, '../src/spool/spool.ts'))})
    const spool = Spool.open(process.argv[1], { sinks: ['s'], segmentBytes: 64 * 1024 })
    let i = 0
    for (;;) {
      const batch = []
      for (let k = 0; k < 50; k++, i++) batch.push(Buffer.from(JSON.stringify({ id: 'ev-' + i, pad: 'y'.repeat(i % 300) })))
      spool.append(batch)
      process.stdout.write(i + '\\n')
    }`
  const child = spawn(process.execPath, [...process.execArgv, '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } })
  let done = 0
  await new Promise<void>((resolveKilled) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      done = Number(line)
      if (done >= 20_000 && child.exitCode === null && !child.killed) child.kill('SIGKILL')
    })
    child.on('exit', () => resolveKilled())
  })
  t.ok(done >= 20_000, `the child appended ${done} records before it was killed`)
  const spool = Spool.open(dir, { sinks: ['s'], segmentBytes: 64 * 1024 })
  const got = ids(spool.read('s', 10_000_000).records)
  t.same(got.slice(0, done), range(0, done), 'every acknowledged append is there, in order')
  t.ok(got.length >= done, `${got.length} records read back (a batch in flight may be there too)`)
  spool.close()
})

t.test('bounded: the oldest segments go when full, counted per sink that had not read them', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['slow', 'fast'], segmentBytes: 2000, maxBytes: 8000 })
  for (let i = 0; i < 400; i += 10) {
    spool.append(Array.from({ length: 10 }, (_, k) => rec(i + k)))
    const fast = spool.read('fast', 1000)
    spool.ack('fast', fast.next)
  }
  const stats = spool.stats()
  t.ok(stats.bytes <= 8000, `held ${stats.bytes} bytes, under the bound`)
  t.equal(stats.dropped.fast, 0, 'the sink that kept up lost nothing')
  const kept = ids(spool.read('slow', 10_000).records)
  const dropped = stats.dropped.slow ?? 0
  t.ok(dropped > 0, 'the slow sink lost the oldest')
  t.equal(dropped + kept.length, 400, 'dropped + kept = appended: every record accounted for')
  t.same(kept, range(400 - kept.length, 400), 'what is kept is the newest, in order')
  spool.close()
})

t.test('a directory that cannot be used is a clear error', async (t) => {
  const file = join(t.testdir(), 'not-a-dir')
  writeFileSync(file, 'x')
  t.throws(() => Spool.open(join(file, 'spool'), { sinks: ['s'] }), { code: 'SW_ERR_SPOOL', message: /cannot open the spool in .*not-a-dir\/spool/ })
})

t.test('one agent per spool: a live owner is refused, a dead one taken over', async (t) => {
  const dir = t.testdir()
  Spool.open(dir, { sinks: ['s'] }).close()
  writeFileSync(join(dir, 'lock'), String(process.ppid)) // another live process holds it
  t.throws(() => Spool.open(dir, { sinks: ['s'] }), { code: 'SW_ERR_SPOOL', message: new RegExp(`in use by another agent \\(pid ${process.ppid}\\); give each agent its own --data-dir`) })
  writeFileSync(join(dir, 'lock'), '999999999') // an agent that died without closing
  const taken = Spool.open(dir, { sinks: ['s'] })
  t.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid), 'a stale lock is taken over')
  taken.close()
  t.throws(() => readFileSync(join(dir, 'lock')), { code: 'ENOENT' }, 'and released at close')
})
