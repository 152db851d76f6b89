// End to end, alerts from every layer at once: the built agent runs in a network namespace,
// capturing its veth and scanning /proc, with the shipped rules; the example shop (SDK preloaded)
// takes a shell injection; a real shell runs on a pseudo-terminal; curl in the agent's namespace
// fetches from a server in the other one. Each must become its alert, with its evidence.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { validateEvent } from '@sidewatch/proto/schema'
import { AGENT_BIN, AgentProcess, readJsonl, tempDir, waitFor } from '../packages/agent/test/helpers/agent'
import { createNetnsPair, netnsUnavailable } from '../packages/agent/test/helpers/netns'
import { get, SHOP, startApp } from './helpers/processes'

const skip = netnsUnavailable()

t.test('SDK attack, pty shell and outbound transfer tool: three alerts with their evidence', { skip }, async (t) => {
  const pair = createNetnsPair(t)
  const dir = tempDir(t)
  const jsonl = join(dir, 'events.jsonl')
  const sock = join(dir, 'agent.sock')
  const kids: ChildProcess[] = []
  t.teardown(() => { for (const kid of kids) kid.kill('SIGKILL') })

  const agent = new AgentProcess(pair.spawnIn(pair.ns1, process.execPath, [AGENT_BIN, 'run', '--capture', pair.veth1, '--proc', 'on',
    '--sink', `jsonl:${jsonl}`, '--listen', `unix:${sock}`, '--token', 'e2e-token', '--flow-idle-timeout', '5'], { stdio: ['ignore', 'ignore', 'pipe'] }))
  kids.push(agent.child)
  await agent.line('ready', (l) => l.msg === 'ready')
  await agent.line('scanning', (l) => l.msg === 'scanning processes')

  // 1. The application layer: a shell injection through the shop, reported by the SDK.
  const app = await startApp(t, join(SHOP, 'server.js'), { SIDEWATCH_AGENT: `unix:${sock}`, SIDEWATCH_TOKEN: 'e2e-token' })
  t.equal((await get(app.port, `/greet?name=${encodeURIComponent('bob; id')}`)).status, 200)

  // 2. The process layer: a shell on a real pseudo-terminal.
  const pty = spawn('script', ['-qfc', 'sh -c "sleep 30"', '/dev/null'], { stdio: 'ignore' })
  kids.push(pty)

  // 3. The network layer: curl in the captured namespace fetching from the other one. The server
  //    answers after 500 ms, so the connection lives long enough for its owner to be looked up.
  const server = pair.spawnIn(pair.ns2, process.execPath, ['-e', `require('http').createServer((q, s) => setTimeout(() => s.end('x'.repeat(2000)), 500)).listen(8080, '${pair.addr2}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  kids.push(server)
  await new Promise<void>((resolve) => createInterface({ input: server.stdout as NodeJS.ReadableStream }).once('line', () => resolve()))
  const curl = pair.spawnIn(pair.ns1, 'curl', ['-s', '-o', '/dev/null', `http://${pair.addr2}:8080/`], { stdio: 'ignore' })
  kids.push(curl)
  t.equal(await new Promise((resolve) => curl.once('exit', resolve)), 0, 'curl got its answer')

  const alert = (rule: string): Promise<Record<string, any>> => waitFor(`the "${rule}" alert`, () => readJsonl(jsonl).find((e) => e.kind === 'alert' && e.alert.rule === rule), 30_000)
  const events = (): Array<Record<string, any>> => readJsonl(jsonl)

  const injection = await alert('Shell injection')
  const attack = events().find((e) => e.kind === 'attack')
  t.match(injection, { service: 'shop', alert: { priority: 'critical', evidence: [attack?.id], output: /^Shell injection in child_process\.exec from query\.name=bob; id/ } })

  const shell = await alert('Terminal shell in container')
  const shellStart = events().find((e) => e.id === shell.alert.evidence[0])
  t.match(shellStart, { kind: 'process.start', process: { comm: 'sh', tty: /^\/dev\/pts\/\d+$/, sha256: /^[0-9a-f]{64}$/ } })
  t.match(shell.alert.context, { process: { pid: shellStart?.process.pid }, parents: [{ name: 'script' }] }, 'the parent chain joined in')

  const transfer = await alert('Remote copy tool connecting out')
  const flow = events().find((e) => e.id === transfer.alert.evidence[0])
  t.match(flow, { kind: 'net.flow', flow: { src: pair.addr1, dst: pair.addr2, dport: 8080, scope: 'outbound', end: 'fin', process: { exe: '/usr/bin/curl' } } })
  t.ok(flow?.flow.dst_bytes > 2000, 'the answer counted')
  t.match(transfer.alert.output, new RegExp(`^curl connected to ${pair.addr2.replace(/\./g, '\\.')}:8080`))

  for (const a of [injection, shell, transfer]) t.equal(validateEvent(a), undefined, `${a.alert.rule}: a valid alert event`)
  agent.child.kill('SIGTERM')
  t.equal((await agent.exited).code, 0)
})
