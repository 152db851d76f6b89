// `sidewatch-agent procs` as a user runs it (the built CLI): --once lists what runs now, the
// default mode streams starts and exits as JSON lines until interrupted, bad input is one line
// with a stable code.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { AGENT_BIN, cleanEnv, jsonLines, runCli, tempDir, waitFor, type LogLine } from './helpers/agent'
import { exited, spawnTracked } from './helpers/processes'

t.test('--once prints the processes running now and exits', async (t) => {
  const sleep = spawnTracked(t, 'sleep', ['30.701'])
  const { code, stdout, stderr } = await runCli(['procs', '--once'])
  t.equal(code, 0, stderr)
  const events = jsonLines(stdout)
  t.ok(events.length > 2, 'several processes')
  t.same(events.map(validateEvent).filter((i) => i !== undefined), [], 'every line is a valid event')
  t.ok(events.every((e) => e.kind === 'process.start' || e.kind === 'login.ssh'), 'only starts (and logins) in a snapshot')
  const mine = events.find((e) => e.process?.pid === sleep.pid)
  t.same(mine?.process.cmdline, ['sleep', '30.701'])
  t.equal(mine?.process.sha256, createHash('sha256').update(readFileSync(mine?.process.exe)).digest('hex'))
  const noHash = jsonLines((await runCli(['procs', '--once', '--no-hash'])).stdout)
  t.ok(noHash.length > 2 && noHash.every((e) => e.process?.sha256 === undefined), '--no-hash: no sha256')
})

t.test('the default mode streams starts and exits until SIGTERM', async (t) => {
  const cli = spawn(process.execPath, [AGENT_BIN, 'procs', '--interval', '50'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { cli.kill('SIGKILL') })
  const lines: LogLine[] = []
  createInterface({ input: cli.stdout }).on('line', (line) => lines.push(JSON.parse(line)))
  await waitFor('the first snapshot', () => lines.length > 0 ? true : undefined)
  const sleep = spawnTracked(t, 'sleep', ['30.702'])
  const start = await waitFor('process.start on stdout', () => lines.find((e) => e.kind === 'process.start' && e.process.pid === sleep.pid && e.process.comm === 'sleep'))
  t.same(start.process.cmdline, ['sleep', '30.702'])
  sleep.kill('SIGKILL')
  await exited(sleep)
  const exit = await waitFor('process.exit on stdout', () => lines.find((e) => e.kind === 'process.exit' && e.process.pid === sleep.pid))
  t.equal(exit.process.start_time, start.process.start_time)
  cli.kill('SIGTERM')
  t.equal(await exited(cli), 0, 'exits 0 on SIGTERM')
  t.same(lines.map(validateEvent).filter((i) => i !== undefined), [])
})

t.test('bad input: one line with a stable code', async (t) => {
  const [badInterval, badRoot, learnAlone, help] = await Promise.all([
    runCli(['procs', '--interval', 'soon']),
    runCli(['procs', '--once', '--proc-root', tempDir(t)]),
    runCli(['procs', '--learn', '60']),
    runCli(['help', 'procs']),
  ])
  t.equal(badInterval.code, 2)
  t.match(badInterval.stderr, /^sidewatch-agent: SW_ERR_USAGE: --interval "soon" is not a whole number/)
  t.equal(badRoot.code, 1)
  t.match(badRoot.stderr, /^sidewatch-agent: SW_ERR_PROC: cannot read .*\/stat/)
  t.equal(learnAlone.code, 2)
  t.match(learnAlone.stderr, /SW_ERR_USAGE: --learn needs --baseline/)
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: sidewatch-agent procs \[--once\]/)
})
