// `sidewatch-agent console` and `collect --console` as processes: clear errors at start-up for a
// missing or corrupt database and bad flags; the printed sign-in link works; SIGTERM stops it.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createLogger } from '../src/log'
import { SqliteSink } from '../src/sinks/sqlite'
import { AGENT_BIN, cleanEnv, runCli, tempDir, waitFor } from './helpers/agent'

interface Started { child: ChildProcess, stdout: string[], stderr: string[], link: string }

async function startCli (t: { teardown: (fn: () => unknown) => void }, args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const stdout: string[] = []
  const stderr: string[] = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => stdout.push(l))
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => stderr.push(l))
  const link = await waitFor(`the sign-in link (stderr: ${stderr.slice(-2).join(' | ')})`, () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr.join('\n')}`)
    return stdout.map((l) => /^sign in: (\S+)/.exec(l)?.[1]).find((l) => l !== undefined)
  })
  return { child, stdout, stderr, link }
}

async function emptyStore (dir: string): Promise<string> {
  const file = join(dir, 'events.db')
  await (await SqliteSink.open(file, { log: createLogger('silent'), onError: () => {} })).close()
  return file
}

t.test('start-up errors are one clear line', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'corrupt.db'), 'SQLite format 3\u0000' + 'garbage'.repeat(1000))
  writeFileSync(join(dir, 'text.db'), 'not a database')
  const db = await emptyStore(dir)
  const cases: Array<[string[], number, RegExp]> = [
    [['console'], 2, /SW_ERR_USAGE: --db FILE is required/],
    [['console', '--db', join(dir, 'missing.db')], 2, /SW_ERR_DB: no event database at .*missing\.db/],
    [['console', '--db', join(dir, 'corrupt.db')], 2, /SW_ERR_DB: cannot use event database .*corrupt\.db: (file is not a database|database disk image is malformed)/],
    [['console', '--db', join(dir, 'text.db')], 2, /SW_ERR_DB: cannot use event database .*text\.db: file is not a database/],
    [['console', '--db', db, '--listen', '0.0.0.0:7880'], 2, /SW_ERR_LISTEN: --listen 0\.0\.0\.0: the console listens on loopback only/],
    [['console', '--db', db, '--listen', 'nonsense'], 2, /SW_ERR_LISTEN: --listen "nonsense" is not HOST:PORT/],
    [['console', '--db', db, '--token', 'short'], 2, /SW_ERR_CONFIG: the console token must be at least 16 characters/],
    [['console', '--db', db, '--bogus'], 2, /SW_ERR_USAGE: unknown option --bogus/],
    [['collect', '--console', '127.0.0.1:0', '--sink', `jsonl:${join(dir, 'c.jsonl')}`], 2, /SW_ERR_USAGE: --console serves the console over a sqlite: sink/],
  ]
  const results = await Promise.all(cases.map(([args]) => runCli(args, { SIDEWATCH_COLLECT_KEYS: 'k'.repeat(20) })))
  cases.forEach(([args, code, message], i) => {
    const r = results[i] as { code: number | null, stderr: string }
    t.equal(r.code, code, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line')
  })
  const help = await runCli(['help', 'console'])
  t.match(help.stdout, /^Usage: sidewatch-agent console --db FILE/)
})

t.test('console: the printed link signs in; a made-up token, or SIDEWATCH_CONSOLE_TOKEN; SIGTERM stops it', async (t) => {
  const dir = tempDir(t)
  const db = await emptyStore(dir)
  const made = await startCli(t, ['console', '--db', db, '--listen', '127.0.0.1:0'])
  t.match(made.stdout[0], /^sidewatch console on http:\/\/127\.0\.0\.1:\d+ over .*events\.db$/)
  t.match(made.stdout[1], /token made up for this run/)
  const signIn = await fetch(made.link, { redirect: 'manual' })
  t.equal(signIn.status, 303)
  const cookie = (signIn.headers.getSetCookie()[0] ?? '').split(';')[0] as string
  const page = await fetch(new URL('/alerts', made.link), { headers: { cookie } })
  t.equal(page.status, 200)
  t.match(await page.text(), /id="alert-total">0<\/span> alerts/)
  t.equal((await fetch(new URL('/alerts', made.link))).status, 401)
  made.child.kill('SIGTERM')
  await waitFor('exit', () => made.child.exitCode ?? undefined)
  t.equal(made.child.exitCode, 0)

  const token = 'a-token-from-the-environment'
  const fromEnv = await startCli(t, ['console', '--db', db, '--listen', '0'], { SIDEWATCH_CONSOLE_TOKEN: token })
  t.equal(new URL(fromEnv.link).searchParams.get('token'), token)
  t.equal(new URL(fromEnv.link).hostname, '127.0.0.1', 'a bare port is loopback')
  t.notMatch(fromEnv.stdout.join('\n'), /made up/)
  fromEnv.child.kill('SIGINT')
  await waitFor('exit', () => fromEnv.child.exitCode ?? undefined)
})

t.test('collect --console serves the console over its central store', async (t) => {
  const dir = tempDir(t)
  const key = 'deployment-key-for-the-test'
  const db = join(dir, 'central.db')
  const collect = await startCli(t, ['collect', '--listen', 'tcp://127.0.0.1:0', '--sink', `sqlite:${db}`, '--console', '127.0.0.1:0', '--console-token', 'central-console-token'], { SIDEWATCH_COLLECT_KEYS: key })
  const ready = await waitFor('collecting', () => collect.stderr.map((l) => { try { return JSON.parse(l) as Record<string, any> } catch { return undefined } }).find((l) => l?.msg === 'collecting'))
  const alert = { id: 'central-alert-1', ts: new Date().toISOString(), kind: 'alert', source: 'rules', service: 'billing', container: 'api', alert: { rule: 'Reverse shell', priority: 'critical', output: 'Reverse shell: sh reads and writes a socket', evidence: [] } }
  const posted = await fetch(String(ready.url), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [alert] }) })
  t.equal(posted.status, 200)
  const signIn = await fetch(collect.link, { redirect: 'manual' })
  const cookie = (signIn.headers.getSetCookie()[0] ?? '').split(';')[0] as string
  const body = await (await fetch(new URL('/alerts', collect.link), { headers: { cookie } })).text()
  t.match(body, /Reverse shell<\/a>/)
  t.match(body, /<td>api<\/td>/)
  collect.child.kill('SIGTERM')
  await waitFor('exit', () => collect.child.exitCode ?? undefined)
  t.equal(collect.child.exitCode, 0)
})
