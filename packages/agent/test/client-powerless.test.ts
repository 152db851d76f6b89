// What a client of the local socket cannot do: whatever its events and hello name — files to
// read or write, hosts to reach, commands to run, sink specs, huge pids — the agent only stores
// them. While such a client sends, the agent opens none of those files, connects to none of those
// addresses and starts no process.
import t from 'tap'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

/** The paths the agent process holds open now. */
function openFiles (pid: number): string[] {
  const dir = `/proc/${pid}/fd`
  const out: string[] = []
  for (const fd of readdirSync(dir)) {
    try { out.push(readlinkSync(join(dir, fd))) } catch { /* closed meanwhile */ }
  }
  return out
}

/** Pids whose parent is `pid`. */
function children (pid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name))
    } catch { /* gone */ }
  }
  return out
}

t.test('events naming files, hosts and commands make the agent open, reach and run nothing', async (t) => {
  const dir = tempDir(t)
  const bait = join(dir, 'bait.txt')
  const planted = join(dir, `pwned-${randomUUID()}`)
  let connections = 0
  const listener = createServer((s) => { connections++; s.destroy() })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => listener.close(resolve)))
  const port = (listener.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}/x`

  const agent = await startAgent(t, { dir })
  const pid = agent.proc.child.pid as number
  const childrenBefore = children(pid)
  const client = await TestClient.greeted(agent.tcp, { service: `jsonl:${bait}`, host: url, container: `sqlite:${planted}`, pid: 2 ** 31 - 1 })
  const hostile = [
    events.fsOp(bait),
    events.fsOp('/etc/shadow'),
    events.exec({ exec: { method: 'exec', file: '/bin/sh', args: ['-c', `touch ${planted}`], shell: true, command_line: `touch ${planted}` } }),
    { id: randomUUID(), ts: new Date().toISOString(), kind: 'http.client', source: 'node-asm', service: 'x', http: { method: 'GET', url, host: '127.0.0.1', port, status: 200 } },
    { id: randomUUID(), ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: 'x', attack: { class: 'ssrf', sink: 'http.request', input: { name: 'query.url', value: url }, target: url, blocked: false } },
  ]
  const seen = new Set<string>()
  for (let seq = 1; seq <= 20; seq++) {
    t.match(await client.batch(seq, hostile.map((e) => ({ ...e, id: randomUUID() }))), { ack: { accepted: hostile.length } })
    for (const f of openFiles(pid)) seen.add(f)
  }
  await waitFor('the hostile events stored, alerts made', () => readJsonl(agent.jsonl).some((e) => e.kind === 'alert') || undefined)
  for (const f of openFiles(pid)) seen.add(f)

  t.notOk([...seen].some((f) => f === bait || f === '/etc/shadow' || f.startsWith(planted)), `the agent held none of the named files open (${seen.size} fds seen)`)
  t.equal(connections, 0, 'nothing connected to the address the events name')
  t.notOk(existsSync(planted), 'the command in an event was not run')
  t.same(children(pid).filter((c) => !childrenBefore.includes(c)), [], 'the agent started no process')
  t.equal((await agent.proc.stop()).code, 0)
})
