// Forked apps with the SDK preloaded: every child_process function is reported once, with what
// Node actually ran, however the app loaded child_process; and the app sees no difference.
import t from 'tap'
import type { ProcessExecEvent } from '@sidewatch/proto'
import { FakeAgent } from './helpers/fake-agent'
import { FIXTURES, REGISTER_CJS, REGISTER_ESM, runFixture, type RunOptions } from './helpers/run-fixture'
import { join } from 'node:path'

const loadings: Array<{ name: string, script: string, args: string[], preload: RunOptions['preload'], register: string }> = [
  { name: "CJS require('child_process')", script: 'cjs-app.js', args: ['child_process'], preload: 'require', register: REGISTER_CJS },
  { name: "CJS require('node:child_process')", script: 'cjs-app.js', args: ['node:child_process'], preload: 'require', register: REGISTER_CJS },
  { name: 'ESM default import', script: 'esm-default.mjs', args: [], preload: 'import', register: REGISTER_ESM },
  { name: 'ESM named imports', script: 'esm-named.mjs', args: [], preload: 'import', register: REGISTER_ESM },
  { name: 'ESM named imports, -r preload', script: 'esm-named.mjs', args: [], preload: 'require', register: REGISTER_CJS },
]

type Seen = Record<string, { pid?: number, stdout?: string }>

for (const loading of loadings) {
  t.test(`${loading.name}: the seven functions, each reported once`, async (t) => {
    const agent = await FakeAgent.start()
    t.teardown(() => agent.close())
    const run = await runFixture(loading.script, {
      preload: loading.preload,
      args: [...loading.args, 'seven'],
      env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_SERVICE: 'fixture' },
    })
    t.equal(run.code, 0, `app exits 0 (stderr: ${run.stderr})`)
    t.equal(run.stderr, '', 'nothing on stderr')
    const seen = JSON.parse(run.stdout) as Seen
    t.equal(seen.spawn?.stdout, 'spawned x y\n', 'spawn output intact')
    t.equal(seen.execSync, 'execsync\n/tmp\n', 'execSync output intact')

    // The app exited: what it reported was flushed before exit.
    const events = (agent.eventsOf('process.exec') as ProcessExecEvent[]).filter((e) => e.pid === run.pid)
    t.same(events.map((e) => e.exec.method).sort(),
      ['exec', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync'], 'one event per function, nested calls not repeated')
    const by = (m: string): ProcessExecEvent['exec'] => events.find((e) => e.exec.method === m)?.exec ?? t.fail(`no ${m}`) as never

    t.match(by('spawn'), { file: 'echo', args: ['spawned', 'x y'], shell: false, command_line: 'echo spawned x y', sync: false, pid: seen.spawn?.pid })
    t.match(by('exec'), { file: '/bin/sh', args: ['-c', 'echo "exec $((1+2))"'], shell: true, command_line: 'echo "exec $((1+2))"', sync: false, pid: seen.exec?.pid })
    t.match(by('execFile'), { file: 'echo', args: ['file', 'a b'], shell: false, command_line: 'echo file a b', pid: seen.execFile?.pid })
    const childScript = join(FIXTURES, 'forked-child.js')
    t.match(by('fork'), {
      file: process.execPath,
      args: [loading.preload === 'import' ? '--import' : '-r', loading.register, childScript, 'x'],
      shell: false,
      pid: seen.fork?.pid,
    })
    t.match(by('spawnSync'), { file: 'echo', args: ['sync'], shell: false, sync: true, pid: seen.spawnSync?.pid })
    t.match(by('execSync'), { file: '/bin/sh', args: ['-c', 'echo execsync; pwd'], shell: true, command_line: 'echo execsync; pwd', cwd: '/tmp', sync: true })
    t.match(by('execFileSync'), { file: 'echo', args: ['filesync'], shell: false, command_line: 'echo filesync', sync: true })
    for (const m of ['execSync', 'execFileSync']) t.ok((by(m).pid ?? 0) > 0, `${m} pid known`)
    for (const e of events) {
      t.match(e, { source: 'node-asm', service: 'fixture', runtime: { name: 'node', version: process.versions.node }, pid: run.pid })
      t.equal(e.exec.error, undefined, `${e.exec.method}: no error`)
    }
    t.equal(new Set(events.map((e) => e.id)).size, events.length, 'distinct event ids')
  })
}

t.test('behaviour is unchanged: outputs, errors, promisify, names and lengths', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const env = { SIDEWATCH_AGENT: agent.address }
  const [plain, cjs, esm] = await Promise.all([
    runFixture('cjs-app.js', { preload: 'none', args: ['child_process', 'behaviour'] }),
    runFixture('cjs-app.js', { preload: 'require', args: ['child_process', 'behaviour'], env }),
    runFixture('esm-named.mjs', { preload: 'import', args: ['behaviour'], env }),
  ])
  const baseline = JSON.parse(plain.stdout) as Record<string, unknown>
  t.equal(plain.code, 0)
  t.notOk('scenarioFailed' in baseline, 'scenario ran')
  t.match(baseline.spawnEnoent, { err: { props: { code: 'ENOENT' } } }, 'the scenario does exercise failures')
  t.same(baseline.meta, [['spawn', 'spawn', 3, 'undefined'], ['exec', 'exec', 3, 'function'], ['execFile', 'execFile', 4, 'function'],
    ['fork', 'fork', 1, 'undefined'], ['spawnSync', 'spawnSync', 3, 'undefined'], ['execSync', 'execSync', 2, 'undefined'],
    ['execFileSync', 'execFileSync', 3, 'undefined']])
  for (const [name, run] of [['CJS -r', cjs], ['ESM named --import', esm]] as const) {
    t.equal(run.code, 0, `${name}: exit code`)
    t.same(JSON.parse(run.stdout), baseline, `${name}: the app saw exactly what it sees without the SDK`)
    t.equal(run.stderr, plain.stderr, `${name}: same stderr (inherited child stderr, no SDK lines)`)
  }

  const events = agent.eventsOf('process.exec') as ProcessExecEvent[]
  const failed = events.filter((e) => e.pid === cjs.pid && e.exec.error !== undefined)
  t.match(failed.find((e) => e.exec.method === 'spawn')?.exec, { file: '/nonexistent/sidewatch-binary', error: /ENOENT/ }, 'spawn failure reported with its error')
  t.equal(failed.find((e) => e.exec.method === 'spawn')?.exec.pid, undefined, 'no pid for a process that never started')
  t.match(failed.find((e) => e.exec.method === 'spawnSync')?.exec, { error: /ENOENT/ })
  t.match(failed.find((e) => e.exec.method === 'execFileSync')?.exec, { error: /ENOENT/ })
  const timeout = events.find((e) => e.pid === cjs.pid && e.exec.command_line === 'sleep 5')
  t.match(timeout?.exec, { method: 'execSync', error: /ETIMEDOUT/ }, 'a timed-out execSync has its pid and error')
  t.ok((timeout?.exec.pid ?? 0) > 0)
  const status = events.find((e) => e.pid === cjs.pid && e.exec.command_line.includes('exit 4'))
  t.equal(status?.exec.error, undefined, 'a non-zero exit is not a spawn error')
  t.ok((status?.exec.pid ?? 0) > 0, 'execSync that throws on its exit status still has the pid')
  t.match(events.find((e) => e.pid === cjs.pid && e.exec.command_line === 'echo $0')?.exec, { file: '/bin/bash', shell: true, args: ['-c', 'echo $0'] },
    'a shell given as a path')
  t.match(events.find((e) => e.pid === cjs.pid && e.exec.method === 'spawn' && e.exec.shell)?.exec, {
    file: '/bin/sh', args: ['-c', 'echo "$((2*3))"'], command_line: 'echo "$((2*3))"',
  }, 'spawn with shell: true runs /bin/sh -c with the args joined')
  const promisified = events.filter((e) => e.pid === cjs.pid && ['echo p; echo q >&2', 'echo before; exit 3'].includes(e.exec.command_line))
  t.same(promisified.map((e) => e.exec.method), ['exec', 'exec'], 'util.promisify(exec) calls are reported, as exec, once each')
})

t.test('SIDEWATCH_DISABLED=1: no connection, no events, same behaviour', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const run = await runFixture('cjs-app.js', { args: ['child_process', 'seven'], env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_DISABLED: '1' } })
  t.equal(run.code, 0)
  t.equal(run.stderr, '')
  t.match(JSON.parse(run.stdout), { execFileSync: 'filesync\n' })
  t.equal(agent.connections, 0, 'never connected')
  t.equal(agent.events.length, 0)
})
