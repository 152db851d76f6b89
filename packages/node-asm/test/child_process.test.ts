// The child_process instrumentation in this process: what it publishes, when, and that patching
// and unpatching are a symmetric pair. (Forked apps in child_process-apps.test.ts cover ESM and preloads.)
import t from 'tap'
import cp = require('node:child_process')
import { promisify } from 'node:util'
import { join } from 'node:path'
import { channels, subscribe, type ChildProcessContext } from '../src/channels'
import { Instrumentations } from '../src/hook'
import { childProcessInstrumentation, CHILD_PROCESS_METHODS, isWrapped } from '../src/instrumentations/child_process'
import { describeCall } from '../src/instrumentations/child_process-command'
import { internalErrorCount } from '../src/warn'
import { FIXTURES } from './helpers/run-fixture'

const originals = Object.fromEntries(CHILD_PROCESS_METHODS.map((m) => [m, cp[m]]))
const catching = (fn: () => unknown): unknown => { try { fn() } catch (err) { return err } return undefined }
const exited = (child: cp.ChildProcess): Promise<unknown> => new Promise((resolve) => child.on('close', resolve))

t.test('describeCall computes what Node runs: compared with ChildProcess.spawnfile/spawnargs', async (t) => {
  const child = join(FIXTURES, 'forked-child.js')
  const cases: Array<[string, 'spawn' | 'execFile' | 'exec' | 'fork', unknown[]]> = [
    ['plain args', 'spawn', ['echo', ['a', 'b c']]],
    ['no args', 'spawn', ['true']],
    ['options in the args slot', 'spawn', ['true', { cwd: '/tmp' }]],
    ['shell: true joins file and args', 'spawn', ['echo', ['"$((1+1))"', 'x'], { shell: true }]],
    ['shell path', 'spawn', ['echo $0', [], { shell: '/bin/bash' }]],
    ['shell: false', 'spawn', ['echo', ['a'], { shell: false }]],
    ['empty shell string is no shell', 'spawn', ['true', [], { shell: '' }]],
    ['argv0 does not change file or args', 'spawn', ['echo', ['a'], { argv0: 'zero' }]],
    ['execFile with callback only', 'execFile', ['true', () => {}]],
    ['execFile with shell', 'execFile', ['echo', ['x y'], { shell: true }, () => {}]],
    ['exec', 'exec', ['echo $HOME | cat', () => {}]],
    ['exec with a shell path', 'exec', ['echo hi', { shell: '/bin/bash' }, () => {}]],
    ['exec with options, no callback', 'exec', ['true', { cwd: '/' }]],
    ['fork inherits execArgv', 'fork', [child, ['a']]],
    ['fork with its own execArgv and options in the args slot', 'fork', [child, { execArgv: ['--no-warnings'] }]],
    ['fork with a file: URL', 'fork', [new URL(`file://${child}`), []]],
  ]
  for (const [name, method, args] of cases) {
    const described = describeCall(method, args)
    const proc = (originals[method] as (...a: unknown[]) => cp.ChildProcess)(...args)
    t.match(described, { method, file: proc.spawnfile, args: proc.spawnargs.slice(1), sync: false }, name)
    proc.kill() // spawnargs are all we need: no waiting for forks to boot
    await exited(proc)
  }
  t.match(describeCall('exec', ['echo hi']), { shell: true, command_line: 'echo hi' })
  t.match(describeCall('spawn', ['ls', ['-l', 'x']]), { shell: false, command_line: 'ls -l x' })
  t.match(describeCall('spawn', ['ls', [], { cwd: new URL('file:///tmp') }]), { cwd: '/tmp' })
  t.match(describeCall('execSync', ['pwd', { cwd: Buffer.from('/var') }]), { cwd: '/var', sync: true, file: '/bin/sh' })
  for (const bad of [[123], [''], [undefined], ['ls', 'not-args'], ['ls', [], { shell: 42 }]]) {
    t.equal(describeCall('spawn', bad), undefined, `not described: ${JSON.stringify(bad)}`)
  }
  t.equal(describeCall('fork', [42]), undefined)
})

t.test('enabled: each call published on start then end, with the pid, nested calls once', async (t) => {
  const instrumentations = new Instrumentations([childProcessInstrumentation])
  t.equal(isWrapped(cp.spawn), false, 'nothing patched before enable()')
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  const seen: Array<[string, ChildProcessContext, number | undefined]> = []
  const offStart = subscribe('childProcessStart', (ctx) => { seen.push(['start', ctx, ctx.pid]) })
  const offEnd = subscribe('childProcessEnd', (ctx) => { seen.push(['end', ctx, ctx.pid]) })
  t.teardown(() => { offStart(); offEnd() })

  const child = cp.spawn('true')
  t.same(seen.map(([what]) => what), ['start', 'end'], 'start and end, synchronously')
  t.equal(seen[0]?.[2], undefined, 'no pid at start')
  t.equal(seen[1]?.[2], child.pid, 'the pid at end')
  t.equal(seen[0]?.[1], seen[1]?.[1], 'the same context object')
  await exited(child)

  seen.length = 0
  await promisify(cp.exec)('true')
  t.same(seen.map(([what, ctx]) => `${what}:${ctx.method}`), ['start:exec', 'end:exec'], 'exec → execFile → spawn reported once, as exec')

  seen.length = 0
  const failed = cp.spawn('/nonexistent/sidewatch-binary')
  const error = await new Promise((resolve) => failed.on('error', resolve))
  t.same(seen.map(([what]) => what), ['start', 'end'], 'end follows when the error is emitted')
  t.equal(seen[1]?.[1].error, error, 'the error Node emitted')

  seen.length = 0
  t.throws(() => cp.execFileSync('/nonexistent/sidewatch-binary'), { code: 'ENOENT' })
  t.match(seen[1]?.[1], { method: 'execFileSync', error: { code: 'ENOENT' } })
  t.equal(seen[1]?.[1].pid, undefined, 'no pid for a process that never ran')

  seen.length = 0
  t.match(catching(() => cp.execSync('exit 7', { stdio: 'ignore' })), { status: 7 })
  t.ok((seen[1]?.[1].pid ?? 0) > 0, 'execSync: the pid, even when it throws on the exit status')
  t.equal(seen[1]?.[1].error, undefined)
})

t.test('unhandled spawn errors stay unhandled (errorMonitor, not an error listener)', async (t) => {
  const instrumentations = new Instrumentations([childProcessInstrumentation])
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  const off = subscribe('childProcessEnd', () => {})
  t.teardown(off)
  const child = cp.spawn('/nonexistent/sidewatch-binary')
  t.equal(child.listenerCount('error'), 0, 'no error listener added')
  child.on('error', () => {})
  await exited(child)
})

t.test('no subscribers: nothing described, nothing published', async (t) => {
  const instrumentations = new Instrumentations([childProcessInstrumentation])
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  t.equal(channels.childProcessStart.hasSubscribers, false)
  t.equal(cp.execFileSync('echo', ['quiet']).toString(), 'quiet\n')
})

t.test('a throwing subscriber does not reach the application', async (t) => {
  const instrumentations = new Instrumentations([childProcessInstrumentation])
  instrumentations.enable()
  t.teardown(() => instrumentations.disable())
  const stderr = process.stderr.write
  process.stderr.write = (() => true) as typeof stderr
  t.teardown(() => { process.stderr.write = stderr })
  const off = subscribe('childProcessStart', () => { throw new Error('subscriber bug') })
  t.teardown(off)
  const before = internalErrorCount()
  t.equal(cp.execFileSync('echo', ['fine']).toString(), 'fine\n')
  t.equal(internalErrorCount(), before + 1, 'counted')
})

t.test('patch/unpatch: symmetric, idempotent, names and lengths kept', async (t) => {
  const instrumentations = new Instrumentations([childProcessInstrumentation])
  instrumentations.enable()
  const wrapped = Object.fromEntries(CHILD_PROCESS_METHODS.map((m) => [m, cp[m]]))
  for (const m of CHILD_PROCESS_METHODS) {
    t.ok(isWrapped(cp[m]), `${m} wrapped`)
    t.equal(cp[m].name, originals[m]?.name, `${m} name`)
    t.equal(cp[m].length, originals[m]?.length, `${m} length`)
  }
  t.equal(typeof (cp.exec as unknown as Record<symbol, unknown>)[promisify.custom], 'function', 'exec keeps a promisify.custom')
  t.equal(typeof (cp.execFile as unknown as Record<symbol, unknown>)[promisify.custom], 'function')

  childProcessInstrumentation.patch(cp as unknown as Record<string, unknown>)
  const second = new Instrumentations([childProcessInstrumentation])
  second.enable()
  for (const m of CHILD_PROCESS_METHODS) t.equal(cp[m], wrapped[m], `${m} not wrapped twice`)

  second.disable()
  instrumentations.disable()
  for (const m of CHILD_PROCESS_METHODS) t.equal(cp[m], originals[m], `${m} restored exactly`)
  instrumentations.disable()
  instrumentations.enable()
  t.ok(isWrapped(cp.spawn), 'enable again after disable')
  instrumentations.disable()
  t.equal(cp.spawn, originals.spawn)
})
