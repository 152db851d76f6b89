// The executable baseline: what runs during the learning window is expected, a new binary after
// it is "unexpected" unless allowlisted, and the baseline survives an agent restart (same file,
// same window) without ever leaving a half-written file.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ExeBaseline } from '../src/proc/exe-baseline'
import { ProcScanner } from '../src/proc/proc-scanner'
import { tempDir } from './helpers/agent'
import { isStart, ScanLog, spawnTracked } from './helpers/processes'

const SLEEP = execFileSync('readlink', ['-f', execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()], { encoding: 'utf8' }).trim()
const HASH = 'a'.repeat(64)

t.test('learned during the window, unexpected after it, allowlists win', async (t) => {
  let now = 1_000_000
  const baseline = new ExeBaseline({ learnMs: 60_000, now: () => now, allowNames: ['node'], allowSha256: [HASH.toUpperCase()] })
  t.equal(baseline.learning, true)
  t.equal(baseline.observe({ exe: '/usr/bin/sleep', sha256: 'b'.repeat(64) }), true, 'learned')
  t.equal(baseline.observe({ exe: '/usr/bin/sleep', sha256: 'b'.repeat(64) }), false, 'once')
  t.equal(baseline.unexpected({ exe: '/tmp/x', sha256: 'c'.repeat(64) }), undefined, 'nothing is unexpected while learning')
  now += 60_000
  t.equal(baseline.learning, false)
  t.equal(baseline.observe({ exe: '/tmp/late', sha256: 'd'.repeat(64) }), false, 'nothing is learned after the window')
  t.equal(baseline.unexpected({ exe: '/usr/bin/sleep', sha256: 'b'.repeat(64) }), false, 'in the baseline')
  t.equal(baseline.unexpected({ exe: '/usr/bin/sleep', sha256: 'e'.repeat(64) }), true, 'a known path with another hash (replaced binary)')
  t.equal(baseline.unexpected({ exe: '/tmp/late', sha256: 'd'.repeat(64) }), true, 'a new path')
  t.equal(baseline.unexpected({ exe: '/opt/node/bin/node', sha256: 'f'.repeat(64) }), false, 'allowlisted by name')
  t.equal(baseline.unexpected({ exe: '/tmp/renamed', comm: 'node' }), false, 'by command name too')
  t.equal(baseline.unexpected({ exe: '/tmp/anything', sha256: HASH }), false, 'allowlisted by hash (case-insensitive list)')
  t.equal(baseline.unexpected({ comm: 'zombie' }), undefined, 'no executable, no verdict')
})

t.test('kept across restarts: same entries, same window, atomic writes', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'baseline.json')
  let now = Date.parse('2026-11-27T10:00:00Z')
  const first = new ExeBaseline({ file, learnMs: 300_000, now: () => now })
  first.observe({ exe: '/usr/bin/sleep', sha256: 'b'.repeat(64) })
  first.save()
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  t.same(saved, { version: 1, started_at: '2026-11-27T10:00:00.000Z', executables: [{ exe: '/usr/bin/sleep', sha256: 'b'.repeat(64) }] })
  t.same(readdirSync(dir), ['baseline.json'], 'no temporary file left')

  now += 200_000 // restart 200 s in: 100 s of learning left, not a new 300 s window
  const second = new ExeBaseline({ file, learnMs: 300_000, now: () => now })
  t.equal(second.size, 1)
  t.equal(second.learning, true)
  second.observe({ exe: '/usr/bin/env', sha256: 'c'.repeat(64) })
  second.save()
  now += 100_000
  t.equal(second.learning, false, 'the window ends where the first run\'s would have')
  const third = new ExeBaseline({ file, learnMs: 300_000, now: () => now })
  t.equal(third.learning, false)
  t.equal(third.unexpected({ exe: '/usr/bin/env', sha256: 'c'.repeat(64) }), false, 'learned before the restart')
  t.equal(third.unexpected({ exe: '/usr/bin/id', sha256: 'c'.repeat(64) }), true)

  writeFileSync(join(dir, 'bad.json'), '{"version":1,')
  t.throws(() => new ExeBaseline({ file: join(dir, 'bad.json') }), { code: 'SW_ERR_BASELINE' })
  writeFileSync(join(dir, 'other.json'), '{"some":"thing"}')
  t.throws(() => new ExeBaseline({ file: join(dir, 'other.json') }), { code: 'SW_ERR_BASELINE' })
  const fresh = new ExeBaseline({ file: join(dir, 'new.json') })
  fresh.save()
  t.ok(existsSync(join(dir, 'new.json')), 'a missing file is created at the first save')
})

t.test('the scanner marks a binary that appears after learning as unexpected', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'baseline.json')
  let now = Date.now()
  const baseline = new ExeBaseline({ file, learnMs: 60_000, now: () => now, allowNames: ['allowed-tool'] })
  const log = new ScanLog(new ProcScanner({ baseline }))
  const known = spawnTracked(t, SLEEP, ['30.501'])
  const learned = await log.until('a process during learning', isStart(known.pid, SLEEP))
  t.equal(learned.process.unexpected, undefined, 'no verdict while learning')
  t.ok(JSON.parse(readFileSync(file, 'utf8')).executables.some((e: { exe: string }) => e.exe === SLEEP), 'saved to the file by the scan')

  now += 60_000
  const again = spawnTracked(t, SLEEP, ['30.502'])
  t.equal((await log.until('the known binary after learning', isStart(again.pid, SLEEP))).process.unexpected, false)
  const dropped = join(dir, 'dropped-tool')
  copyFileSync(SLEEP, dropped)
  writeFileSync(dropped, Buffer.concat([readFileSync(SLEEP), Buffer.from('x')]))
  execFileSync('chmod', ['755', dropped])
  const tool = spawnTracked(t, dropped, ['30.503'])
  t.equal((await log.until('the dropped binary', isStart(tool.pid, dropped))).process.unexpected, true, 'a new binary is unexpected')
  const allowedPath = join(dir, 'allowed-tool')
  copyFileSync(dropped, allowedPath)
  execFileSync('chmod', ['755', allowedPath])
  const allowed = spawnTracked(t, allowedPath, ['30.504'])
  t.equal((await log.until('the allowlisted binary', isStart(allowed.pid, allowedPath))).process.unexpected, false, 'allowlisted by name')
  t.same(log.invalid, [])
})
