// Live capture end to end: the built agent runs inside one network namespace capturing its veth,
// real Node servers and clients in both namespaces make a FIN-closed TCP connection (inbound),
// an RST-closed one (outbound, from the captured namespace) and a UDP exchange that times out.
// Each net.flow event is checked against the schema, against the kernel's own IP counters of the
// other namespace (exact packets and IP bytes each way), and for its owning process. Then the
// interface goes down under the agent: it says so with a code and keeps running.
import t from 'tap'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { validateEvent } from '@sidewatch/proto/schema'
import { AGENT_BIN, AgentProcess, cleanEnv, readJsonl, tempDir, waitFor, type LogLine } from './helpers/agent'
import { checkOwner } from './helpers/flow-owner'
import { createNetnsPair, ipCounters, netnsUnavailable, type IpCounters, type NetnsPair } from './helpers/netns'

/** Servers and clients, one role per process; each prints JSON lines on stdout. */
const PEER = `
const net = require('net'), dgram = require('dgram')
const [role, host, port, arg] = process.argv.slice(1)
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
if (role === 'serve') {
  // TCP on port: one reply of arg bytes to the first data, FIN answered with FIN. UDP on port+1: pong!
  const server = net.createServer((s) => {
    let replied = false
    s.on('data', () => { if (!replied) { replied = true; s.write(Buffer.alloc(Number(arg), 0x62)) } })
    s.on('end', () => s.end())
    s.on('error', () => {})
  })
  const udp = dgram.createSocket('udp4')
  udp.on('message', (m, from) => udp.send('pong!', from.port, from.address))
  server.listen(Number(port), host, () => udp.bind(Number(port) + 1, host, () => say({ ready: true })))
} else if (role === 'fin') {
  let got = 0
  let localPort
  const s = net.connect(Number(port), host, () => { localPort = s.localPort; s.write(Buffer.alloc(100, 0x61)) })
  s.on('data', (d) => { got += d.length; if (got >= Number(arg)) s.end() })
  s.on('close', () => { say({ localPort, got }); process.exit(0) })
} else if (role === 'rst') {
  // Holds the connection arg ms after the reply (a connection that lives a moment), then resets it.
  const s = net.connect(Number(port), host, () => s.write(Buffer.alloc(50, 0x61)))
  let localPort
  s.once('data', () => { localPort = s.localPort; setTimeout(() => s.resetAndDestroy(), Number(arg)) })
  s.on('error', () => {})
  s.on('close', () => { say({ localPort }); process.exit(0) })
} else if (role === 'udp') {
  const u = dgram.createSocket('udp4')
  u.on('message', () => { say({ localPort: u.address().port }); u.close() })
  u.bind(0, () => u.send('ping', Number(port), host))
}
`

function peer (pair: NetnsPair, ns: string, args: string[], kids: ChildProcess[]): { child: ChildProcess, next: () => Promise<Record<string, any>> } {
  const child = pair.spawnIn(ns, process.execPath, ['-e', PEER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  kids.push(child)
  const lines: Array<Record<string, any>> = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, any>))
  let read = 0
  return { child, next: () => waitFor(`a line from ${args[0] ?? ''} in ${ns}`, () => lines[read] !== undefined ? lines[read++] : undefined) }
}

function delta (after: IpCounters, before: IpCounters): IpCounters {
  return { inPkts: after.inPkts - before.inPkts, outPkts: after.outPkts - before.outPkts, inOctets: after.inOctets - before.inOctets, outOctets: after.outOctets - before.outOctets }
}

const skip = netnsUnavailable()
t.test('live capture in a network namespace: fin, rst and idle flows with counts and owners', { skip }, async (t) => {
  const pair = createNetnsPair(t)
  const dir = tempDir(t)
  const jsonl = join(dir, 'events.jsonl')
  const kids: ChildProcess[] = []
  t.teardown(() => { for (const kid of kids) kid.kill('SIGKILL') })

  const agent = new AgentProcess(pair.spawnIn(pair.ns1, process.execPath, [AGENT_BIN, 'run', '--capture', pair.veth1,
    '--sink', `jsonl:${jsonl}`, '--listen', 'tcp://127.0.0.1:0', '--flow-idle-timeout', '2'], { stdio: ['ignore', 'ignore', 'pipe'] }))
  kids.push(agent.child)
  const capturing = await agent.line('capturing', (l) => l.msg === `capturing packet headers on ${pair.veth1}`)
  t.match(capturing, { iface: pair.veth1, reason: 'named by --capture', task_nets: ['192.0.2.1/32', '127.0.0.0/8', '::1/128'] })
  await agent.line('ready', (l) => l.msg === 'ready')
  t.notOk(agent.lines.some((l) => /not implemented/.test(l.msg) && l.capture !== undefined), 'capture is no longer "not implemented"')

  const flows = (): LogLine[] => readJsonl(jsonl).filter((e) => e.kind === 'net.flow')
  const flowOf = (what: string, match: (f: LogLine) => boolean): Promise<LogLine> =>
    waitFor(`net.flow: ${what}`, () => flows().find((e) => match(e.flow)), 15000)

  // Servers: one in each namespace. 7001 TCP, 7002 UDP.
  const server1 = peer(pair, pair.ns1, ['serve', pair.addr1, '7001', '300'], kids)
  const server2 = peer(pair, pair.ns2, ['serve', pair.addr2, '7001', '20'], kids)
  await server1.next()
  await server2.next()
  // \`ip netns exec\` execs node: the spawned pid is the node process, its exe the test's own.
  const node = readlinkSync('/proc/self/exe')
  const server1Owner = { pid: server1.child.pid, exe: node }

  await t.test('FIN-closed, inbound: the server in the captured namespace owns it', async (t) => {
    const before = ipCounters(pair, pair.ns2)
    const client = peer(pair, pair.ns2, ['fin', pair.addr1, '7001', '300'], kids)
    const { localPort, got } = await client.next()
    t.equal(got, 300)
    const event = await flowOf('fin', (f) => f.sport === localPort && f.proto === 'tcp')
    const d = delta(ipCounters(pair, pair.ns2), before)
    t.equal(validateEvent(event), undefined, 'a valid net.flow event')
    t.match(event, { kind: 'net.flow', source: 'agent.net', pid: Number })
    t.match(event.flow, { proto: 'tcp', src: pair.addr2, sport: localPort, dst: pair.addr1, dport: 7001, end: 'fin', scope: 'inbound' })
    checkOwner(t, event.flow.process, server1Owner, 'owner: the server process')
    t.same([event.flow.src_pkts, event.flow.src_bytes, event.flow.dst_pkts, event.flow.dst_bytes], [d.outPkts, d.outOctets, d.inPkts, d.inOctets],
      'packets and IP bytes each way equal the client namespace\'s own counters')
    t.ok(event.flow.src_bytes >= 100 + 40 * event.flow.src_pkts && event.flow.dst_bytes >= 300 + 40 * event.flow.dst_pkts, 'payload plus headers')
    t.match(event.flow.tcp_flags, /^SAF/)
  })

  await t.test('RST-closed, outbound: the client in the captured namespace owns it', async (t) => {
    const before = ipCounters(pair, pair.ns2)
    const client = peer(pair, pair.ns1, ['rst', pair.addr2, '7001', '300'], kids)
    const clientOwner = { pid: client.child.pid, exe: node }
    const { localPort } = await client.next()
    const event = await flowOf('rst', (f) => f.sport === localPort && f.proto === 'tcp')
    const d = delta(ipCounters(pair, pair.ns2), before)
    t.equal(validateEvent(event), undefined)
    t.match(event.flow, { proto: 'tcp', src: pair.addr1, sport: localPort, dst: pair.addr2, dport: 7001, end: 'rst', scope: 'outbound' })
    checkOwner(t, event.flow.process, clientOwner, 'owner: the client process (seen by the refresh a SYN asks for)')
    t.same([event.flow.src_pkts, event.flow.src_bytes, event.flow.dst_pkts, event.flow.dst_bytes], [d.inPkts, d.inOctets, d.outPkts, d.outOctets])
    t.match(event.flow.tcp_flags, /R/)
    t.notMatch(event.flow.tcp_flags, /F/, 'no FIN: reset, not closed')
  })

  await t.test('UDP, idle timeout: one datagram each way, exact sizes', async (t) => {
    const before = ipCounters(pair, pair.ns2)
    const client = peer(pair, pair.ns2, ['udp', pair.addr1, '7002'], kids)
    const { localPort } = await client.next()
    const event = await flowOf('udp idle', (f) => f.sport === localPort && f.proto === 'udp')
    const d = delta(ipCounters(pair, pair.ns2), before)
    t.equal(validateEvent(event), undefined)
    t.match(event.flow, {
      proto: 'udp', src: pair.addr2, sport: localPort, dst: pair.addr1, dport: 7002, end: 'idle', scope: 'inbound',
      src_pkts: 1, src_bytes: 20 + 8 + 4, dst_pkts: 1, dst_bytes: 20 + 8 + 5, tcp_flags: '',
    })
    t.same([d.outPkts, d.outOctets, d.inPkts, d.inOctets], [1, 32, 1, 33], 'the kernel agrees')
    t.ok(Date.now() / 1000 - event.flow.last >= 2, 'emitted only after the 2 s idle timeout')
    checkOwner(t, event.flow.process, server1Owner, 'owner: the unconnected UDP socket bound to the port')
  })

  await t.test('the interface goes down and up: logged with a code, polling meanwhile, then capturing again', async (t) => {
    execIp(['-n', pair.ns1, 'link', 'set', pair.veth1, 'down'])
    const failed = await agent.line('capture failed', (l) => l.code === 'SW_ERR_CAPTURE_FAILED')
    t.match(failed, { level: 'error', iface: pair.veth1 })
    await agent.line('fallback', (l) => l.code === 'SW_ERR_NO_CAPTURE' && /polling \/proc\/net/.test(l.msg))
    t.equal(agent.child.exitCode, null, 'still running')

    execIp(['-n', pair.ns1, 'link', 'set', pair.veth1, 'up'])
    await agent.line('capture resumed', (l) => l.code === 'SW_CAPTURE_RESUMED' && l.iface === pair.veth1, 15_000)
    const client = peer(pair, pair.ns2, ['fin', pair.addr1, '7001', '300'], kids)
    const { localPort, got } = await client.next()
    t.equal(got, 300)
    const resumed = await flowOf('a flow after the interface came back', (f) => f.sport === localPort && f.proto === 'tcp')
    t.match(resumed.flow, { end: 'fin', src: pair.addr2, dst: pair.addr1, dport: 7001 }, 'captured (with packets and bytes), not polled')
    t.ok(resumed.flow.src_bytes >= 100 && resumed.flow.dst_bytes >= 300)
    const exit = await agent.stop('SIGTERM')
    t.equal(exit.code, 0, 'a clean shutdown')
    const stats = readJsonl(jsonl).filter((e) => e.kind === 'agent.stats' && e.stats.component === 'capture').pop()
    t.ok(stats, 'the final agent.stats has the capture component')
    const c = stats?.stats.counters as Record<string, number>
    t.match(c, { ps_drop: 0, ps_ifdrop: 0, 'records.fin': 2, 'records.rst': 1, 'records.idle': 1, errors: 1, events_dropped: 0, resumed: 1 })
    t.equal(c.packets, c.decoded, 'the BPF filter let only IP through, all of it TCP/UDP')
    const all = flows()
    t.equal(all.length, 4, 'one event per flow, no more')
    t.equal(c.packets, all.reduce((n, e) => n + (e.flow.src_pkts as number) + (e.flow.dst_pkts as number), 0), 'every packet on the link is in a record')
    t.ok((c.ps_recv ?? 0) >= (c.packets ?? 0), 'the kernel passed at least what was seen')
  })
})

function execIp (args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' })
}

t.test('--capture auto in a namespace: the ECS task metadata names the ENI; without it and a default route, polling', { skip }, async (t) => {
  const pair = createNetnsPair(t)
  const kids: ChildProcess[] = []
  t.teardown(() => { for (const kid of kids) kid.kill('SIGKILL') })
  const dir = tempDir(t)
  // The metadata endpoint, inside the captured namespace, answering the documented shape.
  const doc = { TaskARN: 'arn:aws:ecs:us-west-2:111122223333:task/default/0123', Containers: [{ Name: 'app', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: [pair.addr1] }] }] }
  const md = pair.spawnIn(pair.ns1, process.execPath, ['-e', `require('http').createServer((q, s) => s.end(${JSON.stringify(JSON.stringify(doc))})).listen(0, '127.0.0.1', function () { console.log(this.address().port) })`],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  kids.push(md)
  const port = await new Promise<number>((resolve) => md.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))

  const run = (name: string, env: Record<string, string>): AgentProcess => {
    const agent = new AgentProcess(pair.spawnIn(pair.ns1, process.execPath, [AGENT_BIN, 'run', '--sink', `jsonl:${join(dir, `${name}.jsonl`)}`, '--listen', 'tcp://127.0.0.1:0'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv(env) }))
    kids.push(agent.child)
    return agent
  }
  const withMetadata = run('md', { ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:${port}/v4/0123` })
  const chosen = await withMetadata.line('capturing', (l) => typeof l.msg === 'string' && l.msg.startsWith('capturing packet headers on'))
  t.match(chosen, { iface: pair.veth1, reason: `it holds the task address ${pair.addr1} (ECS task metadata)`, task_nets: [`${pair.addr1}/32`, '127.0.0.0/8', '::1/128'] })
  t.equal((await withMetadata.stop()).code, 0)

  const without = run('none', {})
  const said = await without.line('no capture', (l) => l.code === 'SW_ERR_NO_CAPTURE')
  t.match(said, { level: 'warn', capture: 'auto', reason: 'ECS_CONTAINER_METADATA_URI_V4 is not set, and there is no default route' })
  await without.line('ready', (l) => l.msg === 'ready')
  t.equal((await without.stop()).code, 0)
})

t.test('a closed capture does not hold the process open, even on a silent interface', { skip }, async (t) => {
  const pair = createNetnsPair(t)
  const script = `const { LiveCapture } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'net', 'capture', 'live-capture.js'))})
const c = LiveCapture.open({ iface: ${JSON.stringify(pair.veth1)}, tracker: { isTaskAddress: () => false }, onRecord: () => {}, onError: () => {} })
setTimeout(() => { c.close(); console.log('closed') }, 200)`
  const started = Date.now()
  const child = pair.spawnIn(pair.ns1, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 0)
  t.equal(out, 'closed\n')
  t.ok(Date.now() - started < 3000, `exited right after close (${Date.now() - started} ms)`)
})
