// Without live capture the agent polls /proc/net/tcp* for connection records (end "poll", no
// counts), attributed to the owning process, and says so once at start-up with a stable code:
// with --capture off, and when capture cannot open (here: an interface that does not exist).
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readlinkSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { validateEvent } from '@sidewatch/proto/schema'
import { AGENT_BIN, AgentProcess, cleanEnv, httpGet, metric, readJsonl, spawnAgent, tempDir, waitFor } from './helpers/agent'
import { checkOwner } from './helpers/flow-owner'

t.test('--capture off: connections polled from /proc/net, with their owner', async (t) => {
  const dir = tempDir(t)
  const jsonl = join(dir, 'events.jsonl')
  const server = createServer((s: Socket) => { s.on('error', () => {}) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const port = (server.address() as AddressInfo).port

  // A connection open before the agent starts: its first poll (before 'ready') sees it.
  const child = spawn(process.execPath, ['-e', `const s = require('net').connect(${port}, '127.0.0.1', () => console.log(s.localPort)); s.on('error', () => {})`],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const [chunk] = await once(child.stdout, 'data') as [Buffer]
  const clientPort = Number(chunk.toString().trim())

  const agent = spawnAgent(['run', '--capture', 'off', '--sink', `jsonl:${jsonl}`, '--listen', 'tcp://127.0.0.1:0', '--metrics', '127.0.0.1:0'])
  t.teardown(() => agent.stop('SIGKILL'))
  await agent.line('ready', (l) => l.msg === 'ready')
  const metricsAt = (await agent.line('metrics', (l) => l.msg === 'metrics listening')).address as string
  const said = agent.lines.filter((l) => l.code === 'SW_ERR_NO_CAPTURE')
  t.equal(said.length, 1, 'said once')
  t.match(said[0], { level: 'info', capture: 'off', reason: 'capture is off', msg: /polling \/proc\/net\/tcp and tcp6 .*no packet or byte counts/ })

  child.kill('SIGKILL') // the kernel closes its socket
  const event = await waitFor('the polled connection', () => readJsonl(jsonl).find((e) => e.kind === 'net.flow' && e.flow.sport === clientPort && e.flow.dport === port), 10000)
  t.equal(validateEvent(event), undefined, 'a valid net.flow event')
  t.match(event, { source: 'agent.net', flow: { proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', end: 'poll', scope: 'intra-task' } })
  t.same([event.flow.src_pkts, event.flow.src_bytes, event.flow.dst_pkts, event.flow.dst_bytes], [0, 0, 0, 0], 'no counts without capture')
  checkOwner(t, event.flow.process, { pid: child.pid as number, exe: readlinkSync('/proc/self/exe') }, 'the initiator\'s process, gone by now, still attributed')
  t.ok(event.flow.first <= event.flow.last)

  const { body } = await httpGet(metricsAt, '/metrics')
  t.ok((metric(body, 'sidewatch_flow_records_total', { end: 'poll' }) ?? 0) >= 1, '/metrics counts poll records')
  t.equal(metric(body, 'sidewatch_capture_packets_total'), 0, 'and no captured packets')

  t.equal((await agent.stop()).code, 0)
  const stats = readJsonl(jsonl).filter((e) => e.kind === 'agent.stats' && e.stats.component === 'net.poll').pop()
  t.match(stats?.stats.counters, { polls: Number, 'records.poll': Number, events_dropped: 0 }, 'agent.stats has the poller\'s counters')
  t.ok((stats?.stats.counters.polls ?? 0) >= 2, 'polled at start-up and since')
})

t.test('capture that cannot open falls back to polling, said once with the cause', async (t) => {
  const dir = tempDir(t)
  const agent = spawnAgent(['run', '--capture', 'nosuchif0', '--sink', `jsonl:${join(dir, 'e.jsonl')}`, '--listen', 'tcp://127.0.0.1:0'])
  t.teardown(() => agent.stop('SIGKILL'))
  await agent.line('ready', (l) => l.msg === 'ready')
  const said = agent.lines.filter((l) => l.code === 'SW_ERR_NO_CAPTURE')
  t.equal(said.length, 1)
  t.match(said[0], { level: 'warn', capture: 'nosuchif0', cause: { code: 'SW_ERR_CAPTURE', message: /cannot capture on nosuchif0/ } })
  t.equal((await agent.stop()).code, 0, 'the agent served and stopped cleanly')
})

/** Why the agent cannot be run as nobody here: not root, or a checkout nobody cannot read (a 0700 temp dir). */
function whyNotAsNobody (): string | undefined {
  if (process.getuid?.() !== 0) return 'dropping to an unprivileged user needs root'
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(AGENT_BIN)}, require('node:fs').constants.R_OK)`],
    { uid: 65534, gid: 65534, env: cleanEnv(), stdio: 'ignore' })
  return probe.status === 0 ? undefined : `the unprivileged user cannot read ${AGENT_BIN} (the checkout's directories are not world-readable)`
}

t.test('without CAP_NET_RAW (an unprivileged user): polling, said once, the agent serves', {
  skip: whyNotAsNobody(),
}, async (t) => {
  // stdout as the sink: the unprivileged user cannot write into the test's directories.
  const agent = new AgentProcess(spawn(process.execPath, [AGENT_BIN, 'run', '--capture', 'lo', '--sink', 'jsonl:-', '--listen', 'tcp://127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv(), uid: 65534, gid: 65534 }))
  t.teardown(() => agent.stop('SIGKILL'))
  await agent.line('ready', (l) => l.msg === 'ready')
  const said = agent.lines.filter((l) => l.code === 'SW_ERR_NO_CAPTURE')
  t.equal(said.length, 1)
  t.match(said[0], { level: 'warn', capture: 'lo', cause: { code: 'SW_ERR_CAPTURE', message: /Operation not permitted/ }, msg: /polling \/proc\/net/ })
  t.match(agent.lines.find((l) => l.msg === 'rights'), { uid: 65534, cap_net_raw: false, cap_sys_ptrace: false, missing: ['CAP_NET_RAW', 'CAP_SYS_PTRACE'] }, 'its rights said at start-up')
  t.match(agent.lines.filter((l) => l.code === 'SW_ERR_RIGHTS').map((l) => l.right), ['CAP_NET_RAW', 'CAP_SYS_PTRACE'], 'and what each missing right costs')
  t.equal((await agent.stop()).code, 0)
})
