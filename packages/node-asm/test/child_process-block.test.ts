// Block mode for child_process: a `start` subscriber sets ctx.abort and the call makes no
// process, failing the way that API reports a failure to start.
import t from 'tap'
import cp = require('node:child_process')
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { subscribe, type ChildProcessContext } from '../src/channels'
import { Instrumentations } from '../src/hook'
import { childProcessInstrumentation } from '../src/instrumentations/child_process'

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-block-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const abort = new Error('blocked for the test')
const ends: ChildProcessContext[] = []
const instrumentations = new Instrumentations([childProcessInstrumentation])
const offStart = subscribe('childProcessStart', (ctx) => { if (ctx.command_line.includes(dir)) ctx.abort = abort })
const offEnd = subscribe('childProcessEnd', (ctx) => { if (ctx.command_line.includes(dir)) ends.push(ctx) })
instrumentations.enable()
t.teardown(() => { instrumentations.disable(); offStart(); offEnd() })

const marker = (name: string): string => join(dir, name)
const closed = (child: cp.ChildProcess): Promise<void> => new Promise((resolve) => child.once('close', () => resolve()))

t.test('sync APIs: spawnSync returns the error, execSync and execFileSync throw it', async (t) => {
  const res = cp.spawnSync('touch', [marker('spawnSync')])
  t.equal(res.error, abort)
  t.equal(res.pid, 0)
  t.throws(() => cp.execSync(`touch ${marker('execSync')}`), abort)
  t.throws(() => cp.execFileSync('touch', [marker('execFileSync')]), abort)
})

t.test('callback APIs: exec and execFile call back with the error; promisify(exec) rejects', async (t) => {
  const err = await new Promise((resolve) => cp.exec(`touch ${marker('exec')}`, (e) => resolve(e)))
  t.equal(err, abort)
  const err2 = await new Promise((resolve) => cp.execFile('touch', [marker('execFile')], (e) => resolve(e)))
  t.equal(err2, abort)
  await t.rejects(promisify(cp.exec)(`touch ${marker('promisified')}`), abort)
})

t.test("spawn and fork: a child that emits 'error' and 'close', with readable (ended) stdio", async (t) => {
  const child = cp.spawn('touch', [marker('spawn')])
  const errors: unknown[] = []
  child.on('error', (e) => errors.push(e))
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  await closed(child)
  t.same(errors, [abort])
  t.equal(out, '')
  t.equal(child.pid, undefined, 'no process')
  const forked = cp.fork(join(__dirname, 'fixtures', 'forked-child.js'), [marker('fork')])
  const forkErrors: unknown[] = []
  forked.on('error', (e) => forkErrors.push(e))
  await closed(forked)
  t.same(forkErrors, [abort])
})

t.test('nothing ran, and every call was reported as blocked', async (t) => {
  // A real process run to completion after all the blocked ones: had any of them started, its
  // `touch` would have had the time to finish too.
  cp.execFileSync('true')
  for (const name of ['spawnSync', 'execSync', 'execFileSync', 'exec', 'execFile', 'promisified', 'spawn']) {
    t.notOk(existsSync(marker(name)), `${name}: no marker`)
  }
  t.equal(ends.length, 8, 'one end per blocked call (eight calls)')
  t.ok(ends.every((c) => c.abort === abort && c.error === abort && c.pid === undefined))
})
