// `sidewatch-agent exec -- CMD`: the command runs as if started directly (its output, its exit
// status, its signals), and the processes of its container reach the agent over the wire.
import { spawn, spawnSync } from 'node:child_process'
import t from 'tap'
import { AGENT_BIN, TOKEN, cleanEnv, readJsonl, startAgent, waitFor } from './helpers/agent'

function runExec (args: string[], env: Record<string, string>): { child: ReturnType<typeof spawn>, done: Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string }> } {
  const child = spawn(process.execPath, [AGENT_BIN, 'exec', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  const done = new Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout })))
  return { child, done }
}

t.test('the command runs as itself; its processes reach the agent', async (t) => {
  const agent = await startAgent(t, { config: { default_rules: false } })
  const { done } = runExec(['--agent', agent.tcp, '--interval', '20', '--', 'sh', '-c', 'echo hello from the app; sleep 0.5; /bin/sleep 0.3; exit 7'], { SIDEWATCH_TOKEN: TOKEN, SIDEWATCH_SERVICE: 'shop' })
  const result = await done
  t.equal(result.code, 7, "the command's exit status")
  t.equal(result.stdout, 'hello from the app\n', "the command's own output, untouched")
  const sleep = await waitFor('the sleep the command ran, reported by exec', () => readJsonl(agent.jsonl).find((e) =>
    e.kind === 'process.start' && e.source === 'agent.proc' && e.service === 'shop' && e.process.exe === '/usr/bin/sleep' && e.process.cmdline?.join(' ') === '/bin/sleep 0.3'))
  t.match(sleep.process, { sha256: /^[0-9a-f]{64}$/, ppid: Number })
  t.equal((await agent.proc.stop()).code, 0)
})

t.test('signals reach the command, and its death by signal is exec\'s', async (t) => {
  const { child, done } = runExec(['--agent', 'tcp://127.0.0.1:9', '--', 'sleep', '30'], {})
  // Once the command runs (a child of exec), SIGTERM exec.
  await waitFor('the command running', () => {
    const out = spawnSync('pgrep', ['-P', String(child.pid), '-x', 'sleep'], { encoding: 'utf8' }).stdout.trim()
    return out === '' ? undefined : out
  })
  child.kill('SIGTERM')
  const result = await done
  t.equal(result.signal, 'SIGTERM')
})

t.test('no agent there: the command is not held back', async (t) => {
  const started = Date.now()
  const { done } = runExec(['--agent', 'tcp://127.0.0.1:9', '--', 'sh', '-c', 'exit 3'], {})
  t.equal((await done).code, 3)
  t.ok(Date.now() - started < 5000, 'exits promptly')
  const bad = runExec(['--', '/no/such/program'], {})
  t.equal((await bad.done).code, 2, 'a command that cannot run is a usage error')
})
