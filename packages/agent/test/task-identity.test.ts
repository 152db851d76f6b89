// The task's identity on events: the ECS task metadata v4 document (served here by a local HTTP
// server on port 0 with the documented Fargate shape) and the Kubernetes downward-API variables,
// unit by unit and then through the running agent (`sidewatch-agent run`).
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { isValidEvent } from '@sidewatch/proto/schema'
import { kubernetesTaskFields, TaskIdentity } from '../src/identity/task-identity'
import { taskFieldsOf } from '../src/net/capture/task-metadata'
import { createLogger } from '../src/log'
import { readJsonl, startAgent, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

const FARGATE_TASK = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'ecs', 'task-metadata-v4-fargate.json'), 'utf8')) as Record<string, any>
const TASK_ARN = 'arn:aws:ecs:us-west-2:111122223333:task/default/e9028f8d5d8e4f258373e7b93ce9a3c3'
const APP_ID = 'e9028f8d5d8e4f258373e7b93ce9a3c3-3681984407'
const EXPECTED_TASK = {
  cluster: 'arn:aws:ecs:us-west-2:111122223333:cluster/default',
  arn: TASK_ARN,
  family: 'shop',
  revision: '7',
  availability_zone: 'us-west-2d',
  launch_type: 'FARGATE',
  addresses: ['10.0.2.106', '2600:1f14:abc:2d00::6a'],
}

/** A metadata endpoint: `/v4/ID/task` answers `answer()`; every request path is recorded. */
async function metadataServer (t: Test, answer: () => { status: number, body: string }): Promise<{ uri: string, paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    paths.push(req.url ?? '')
    if (req.url !== '/v4/0206b271/task') { res.writeHead(404).end(); return }
    const { status, body } = answer()
    res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4/0206b271`, paths }
}

t.test('the identity fields of the documented Fargate task document', async (t) => {
  t.same(taskFieldsOf(FARGATE_TASK), EXPECTED_TASK)
  t.same(taskFieldsOf({ Cluster: 'default', Family: 7, Containers: 'no' }), { cluster: 'default' }, 'non-string fields are left out')
  t.same(taskFieldsOf(null), {})
  t.same(taskFieldsOf([1, 2]), {})
})

t.test('the downward-API variables', async (t) => {
  t.equal(kubernetesTaskFields({}), undefined, 'nothing set: no task')
  t.same(kubernetesTaskFields({
    SIDEWATCH_POD_NAME: 'shop-7d9f8-abcde',
    SIDEWATCH_POD_NAMESPACE: 'shop',
    SIDEWATCH_POD_UID: '3b5f0a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    SIDEWATCH_NODE_NAME: 'fargate-ip-10-0-2-106.us-west-2.compute.internal',
    SIDEWATCH_POD_IPS: '10.0.2.106, 2600:1f14:abc:2d00::6a',
    SIDEWATCH_CLUSTER: 'prod',
  }), {
    pod: 'shop-7d9f8-abcde',
    namespace: 'shop',
    pod_uid: '3b5f0a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    node: 'fargate-ip-10-0-2-106.us-west-2.compute.internal',
    cluster: 'prod',
    addresses: ['10.0.2.106', '2600:1f14:abc:2d00::6a'],
  })
  t.same(kubernetesTaskFields({ SIDEWATCH_POD_IP: '10.0.2.7', SIDEWATCH_POD_NAME: ' ' }), { addresses: ['10.0.2.7'] }, 'blank values are unset; podIP alone works')
  const identity = TaskIdentity.fromEnv({ SIDEWATCH_POD_NAME: 'p', SIDEWATCH_POD_NAMESPACE: 'n' })
  t.equal(identity?.ecs, false)
  const [event] = identity?.stamp([events.exec()]) ?? []
  t.same((event as { task?: unknown }).task, { pod: 'p', namespace: 'n' })
  t.ok(isValidEvent(event), 'the stamped event is valid')
  t.equal(TaskIdentity.fromEnv({}), undefined, 'neither ECS nor Kubernetes: nothing to stamp')
})

t.test('ECS: the task document read from ECS_CONTAINER_METADATA_URI_V4/task stamps events', async (t) => {
  let doc: Record<string, any> = { ...FARGATE_TASK, Containers: FARGATE_TASK.Containers.slice(0, 1) }
  const server = await metadataServer(t, () => ({ status: 200, body: JSON.stringify(doc) }))
  const identity = TaskIdentity.fromEnv({ ECS_CONTAINER_METADATA_URI_V4: `${server.uri}/` }) as TaskIdentity
  t.equal(identity.ecs, true)
  t.equal(identity.stamp([events.exec()])[0]?.task, undefined, 'nothing known before the first read')
  await identity.refresh()
  t.same(server.paths, ['/v4/0206b271/task'])
  const agentOnly = { ...EXPECTED_TASK, addresses: ['10.0.2.106'] }
  t.same(identity.task, agentOnly)

  const stamped = identity.stamp([
    events.exec({ container: 'sidewatch-agent' }),
    events.exec({ container: 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603' }),
    events.exec({ container_id: 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603' }),
    events.exec({ task: { family: 'their-own' } }),
    { id: 'ct-1', ts: new Date().toISOString(), kind: 'cloudtrail', source: 'agent.cloudtrail', cloudtrail: { event_name: 'RunTask', event_source: 'ecs.amazonaws.com' } } as unknown as SidewatchEvent,
  ]) as Array<Record<string, any>>
  t.same(stamped[0]?.task, agentOnly)
  t.match(stamped[0], { container: 'sidewatch-agent', container_id: 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603' }, 'a container name gains its id')
  t.match(stamped[1], { container: 'sidewatch-agent', container_id: 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603' }, 'a container id becomes the name, the id kept')
  t.match(stamped[2], { container: 'sidewatch-agent' }, 'a container_id gains its name')
  t.same(stamped[3]?.task, { family: 'their-own' }, 'a task the event has is kept')
  t.equal(stamped[4]?.task, undefined, 'cloudtrail events describe the account, not this task')
  for (const event of stamped.slice(0, 4)) t.ok(isValidEvent(event), 'stamped events stay valid')

  // The app container starts after the agent: its id is unknown until the document is read again.
  doc = FARGATE_TASK
  t.equal(identity.containerName(APP_ID), undefined, 'unknown at first (a re-read within 10 s is not made)')
  t.equal(server.paths.length, 1)
})

t.test('ECS: an unknown container id makes the agent read the document again', async (t) => {
  let doc: Record<string, any> = { ...FARGATE_TASK, Containers: FARGATE_TASK.Containers.slice(0, 1) }
  const server = await metadataServer(t, () => ({ status: 200, body: JSON.stringify(doc) }))
  const identity = new TaskIdentity({ metadataUri: server.uri })
  const clock = t.capture(performance, 'now', () => 1_000_000)
  await identity.refresh()
  doc = FARGATE_TASK
  t.equal(identity.containerName(APP_ID), undefined)
  clock()
  t.capture(performance, 'now', () => 1_000_000 + 10_001)
  t.equal(identity.containerName(APP_ID), undefined, 'still unknown while it is read again')
  await identity.refresh()
  t.equal(identity.containerName(APP_ID), 'app')
  t.equal(identity.containerName(APP_ID.slice(0, 36)), 'app', 'a unique prefix of 12 or more characters finds it')
  t.equal(identity.containerName(APP_ID.slice(0, 12)), undefined, 'a prefix two containers share (the task id on Fargate) finds nothing')
  t.same(Object.fromEntries(identity.containers), { 'sidewatch-agent': 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603', app: APP_ID })
  t.equal(server.paths.length, 2)
})

t.test('ECS: an endpoint that fails leaves events without the task and says why', async (t) => {
  const answers = [{ status: 500, body: 'no' }, { status: 200, body: '{not json' }]
  const server = await metadataServer(t, () => answers.shift() ?? { status: 200, body: JSON.stringify(FARGATE_TASK) })
  const warnings: unknown[] = []
  const log = createLogger('silent')
  log.warn = ((obj: unknown) => { warnings.push(obj) }) as typeof log.warn
  const identity = new TaskIdentity({ metadataUri: server.uri, log })
  let now = 0
  t.capture(performance, 'now', () => now)
  await identity.refresh()
  t.match(warnings[0], { code: 'SW_ERR_TASK_METADATA', err: { message: /HTTP 500/ } })
  now += 10_001
  await identity.refresh()
  t.match(warnings[1], { code: 'SW_ERR_TASK_METADATA', err: { message: /not JSON/ } })
  t.equal(identity.task, undefined)
  t.equal(identity.stamp([events.exec()])[0]?.task, undefined)
  now += 10_001
  await identity.refresh()
  t.same(identity.task, EXPECTED_TASK, 'recovers once the endpoint answers')
})

t.test('the running agent stamps SDK events, alerts and its own stats with the task', async (t) => {
  const server = await metadataServer(t, () => ({ status: 200, body: JSON.stringify(FARGATE_TASK) }))
  const agent = await startAgent(t, { env: { ECS_CONTAINER_METADATA_URI_V4: server.uri } })
  const logged = await agent.proc.line('task identity', (l) => l.msg === 'task identity')
  t.same(logged.task, EXPECTED_TASK)
  t.same(logged.containers, { 'sidewatch-agent': 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603', app: APP_ID })
  const client = await TestClient.greeted(agent.tcp)
  const sent = events.exec({ container: 'app' })
  const attack = { id: 'atk-1', ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: 'checkout', container: 'app', attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.cmd', value: 'id' }, blocked: false } } as unknown as SidewatchEvent
  t.match(await client.batch(1, [sent, attack]), { ack: { accepted: 2 } })
  const stored = await waitFor('the stamped event', () => readJsonl(agent.jsonl).find((e) => e.id === sent.id))
  t.match(stored, { task: EXPECTED_TASK, container: 'app', container_id: APP_ID })
  const alert = await waitFor('the alert on the attack', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert'))
  t.match(alert, { task: { arn: TASK_ARN }, container: 'app' }, 'alerts carry the task')
  client.socket.destroy()
  t.equal((await agent.proc.stop()).code, 0)
  const stats = readJsonl(agent.jsonl).filter((e) => e.kind === 'agent.stats')
  t.ok(stats.length > 0 && stats.every((e) => e.task?.family === 'shop'), 'agent.stats carries the task')
})
