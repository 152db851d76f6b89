// SDK events carry their container without the app saying: the agent reads the container from
// the cgroup of the pid the hello names, and believes a TCP client only when that pid holds the
// connection. Unit cases over a crafted /proc, then a real SDK process in a real cgroup named the
// way ECS on Fargate names it, talking to the running agent, which maps the id to the container's
// name from the task metadata.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import t from 'tap'
import { peerContainerId } from '../src/ingest/peer-container'
import { readJsonl, startAgent, TOKEN, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

const TASK_ID = 'e9028f8d5d8e4f258373e7b93ce9a3c3'
const APP_ID = `${TASK_ID}-3681984407`

/** A /proc with one process: its cgroup, its TCP table and its fds. */
function fakeProc (dir: string, pid: number, cgroup: string, tcpLine: string | undefined, fdInodes: number[]): string {
  const root = join(dir, 'proc')
  mkdirSync(join(root, String(pid), 'net'), { recursive: true })
  mkdirSync(join(root, String(pid), 'fd'), { recursive: true })
  writeFileSync(join(root, String(pid), 'cgroup'), cgroup)
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
  writeFileSync(join(root, String(pid), 'net', 'tcp'), header + (tcpLine ?? ''))
  fdInodes.forEach((inode, i) => symlinkSync(`socket:[${inode}]`, join(root, String(pid), 'fd', String(i + 3))))
  return root
}

// 127.0.0.1:50000 → 127.0.0.1:7878, ESTABLISHED, inode 4242.
const CONNECTION = '   0: 0100007F:C350 0100007F:1EC6 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1\n'

t.test('the container of a hello\'s pid, believed for TCP only when the pid holds the connection', async (t) => {
  const ecs = `11:pids:/ecs/${TASK_ID}/${APP_ID}\n0::/\n`
  const tcp = { kind: 'tcp', agentPort: 7878, clientPort: 50000 } as const
  t.equal(peerContainerId(100, tcp, fakeProc(t.testdir() + '/a', 100, ecs, CONNECTION, [17, 4242])), APP_ID, 'cgroup names it, the pid holds the socket')
  t.equal(peerContainerId(100, tcp, fakeProc(t.testdir() + '/b', 100, ecs, CONNECTION, [17])), undefined, 'the pid does not hold that socket: another process claimed its pid')
  t.equal(peerContainerId(100, { ...tcp, clientPort: 50001 }, fakeProc(t.testdir() + '/c', 100, ecs, CONNECTION, [4242])), undefined, 'no such connection in its table')
  t.equal(peerContainerId(100, { kind: 'unix' }, fakeProc(t.testdir() + '/d', 100, ecs, undefined, [])), APP_ID, 'a unix client: the token vouches')
  t.equal(peerContainerId(100, { kind: 'unix' }, fakeProc(t.testdir() + '/e', 100, '0::/user.slice/session-3.scope\n', undefined, [])), undefined, 'not in a container')
  t.equal(peerContainerId(101, { kind: 'unix' }, fakeProc(t.testdir() + '/f', 100, ecs, undefined, [])), undefined, 'no such pid (another PID namespace)')
  t.equal(peerContainerId(-1, { kind: 'unix' }, t.testdir()), undefined, 'a nonsense pid')
})

/** Why a cgroup cannot be made here for the end-to-end case, or undefined. */
function cgroupUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'making a cgroup needs root'
  if (!existsSync('/sys/fs/cgroup/pids/cgroup.procs')) return 'no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids'
  return undefined
}

t.test('a real SDK process in an ECS-named cgroup: its events carry the container id and name', { skip: cgroupUnavailable() }, async (t) => {
  const task = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'ecs', 'task-metadata-v4-fargate.json'), 'utf8')) as Record<string, unknown>
  const metadata = createServer((req, res) => {
    if (req.url === '/v4/0206b271/task') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(task))
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => metadata.close(resolve)))
  const agent = await startAgent(t, { env: { ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:${(metadata.address() as AddressInfo).port}/v4/0206b271` } })
  await agent.proc.line('task identity', (l) => l.msg === 'task identity')

  // The cgroup ECS gives the app container, /ecs/TASK/CONTAINER_ID (TASK unique to this run).
  const taskDir = `/sys/fs/cgroup/pids/ecs/${TASK_ID}-${process.pid}`
  const cgroup = join(taskDir, APP_ID)
  mkdirSync(cgroup, { recursive: true })
  t.teardown(() => { for (const d of [cgroup, taskDir, '/sys/fs/cgroup/pids/ecs']) { try { rmdirSync(d) } catch { /* still busy or gone */ } } })

  // The app joins the cgroup before it execs node, so every thread of it is in there.
  const app = spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$0" -r @sidewatch/node-asm/register -e "require('child_process').execFileSync('true'); setTimeout(() => {}, 200)"`, process.execPath], {
    cwd: resolve(__dirname, '..', '..', '..'),
    env: { ...process.env, SIDEWATCH_AGENT: agent.tcp, SIDEWATCH_TOKEN: TOKEN, SIDEWATCH_SERVICE: 'shop' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  app.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise((resolve) => app.once('exit', resolve))
  t.equal(code, 0, `the app ran (${stderr.trim()})`)

  const exec = await waitFor('the app\'s process.exec', () => readJsonl(agent.jsonl).find((e) => e.kind === 'process.exec' && e.service === 'shop'))
  t.match(exec, { container_id: APP_ID, container: 'app' }, 'stamped with the id from its cgroup, named from the task metadata')
  const connected = agent.proc.lines.find((l) => l.msg === 'client connected' && l.service === 'shop')
  t.equal(connected?.container_id, APP_ID, 'the connection log names the container')

  // A client outside that cgroup naming a pid that is in it: it does not hold its connection.
  const sleeper = spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec sleep 30`], { stdio: 'ignore' })
  t.teardown(() => { sleeper.kill('SIGKILL') })
  await waitFor('the sleeper in the cgroup', () => readFileSync(`${cgroup}/cgroup.procs`, 'utf8').includes(String(sleeper.pid)) || undefined)
  const liar = await TestClient.greeted(agent.tcp, { pid: sleeper.pid, service: 'liar' })
  const sent = events.exec({ service: 'liar' })
  t.match(await liar.batch(1, [sent]), { ack: { accepted: 1 } })
  const stored = await waitFor('the liar\'s event', () => readJsonl(agent.jsonl).find((e) => e.id === sent.id))
  t.equal(stored.container_id, undefined, 'no container for a pid that does not hold the connection')
  liar.socket.destroy()
  sleeper.kill('SIGKILL')
  await new Promise((resolve) => sleeper.once('exit', resolve))
})
