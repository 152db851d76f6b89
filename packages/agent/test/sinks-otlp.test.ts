// The otlp sink: OTLP/HTTP JSON logs as the OpenTelemetry protocol documents them, received by a
// local endpoint standing in for a Collector (none runs on these machines), from the real agent.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { otlpLogs } from '../src/sinks/otlp'
import { parseSinkSpec } from '../src/sinks/parse'
import { startAgent, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

interface Received { path: string, headers: Record<string, unknown>, body: any }

async function receiver (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string, got: Received[] }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { url: `otlp+http://127.0.0.1:${(server.address() as AddressInfo).port}`, got }
}

t.test('events from the agent arrive as OTLP log records with task resource attributes', async (t) => {
  const { url, got } = await receiver(t)
  const agent = await startAgent(t, { args: ['--sink', url], env: { SIDEWATCH_OTLP_HEADERS: 'x-team=sec%20ops' } })
  const client = await TestClient.greeted(agent.tcp)
  t.teardown(() => client.close())
  const request = { ...events.httpRequest(), task: { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', arn: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/abc', family: 'shop', revision: '7' } }
  await client.batch(1, [request])
  const batch = await waitFor('a request with the event', () => got.find((r) => JSON.stringify(r.body).includes(request.id)))
  t.equal(batch.path, '/v1/logs')
  t.equal(batch.headers['content-type'], 'application/json')
  t.equal(batch.headers['x-team'], 'sec ops')
  const logs = batch.body.resourceLogs.find((rl: any) => rl.resource.attributes.some((a: any) => a.key === 'aws.ecs.task.family'))
  t.same(logs.resource.attributes, [
    { key: 'cloud.provider', value: { stringValue: 'aws' } },
    { key: 'aws.ecs.cluster.arn', value: { stringValue: request.task.cluster } },
    { key: 'aws.ecs.task.arn', value: { stringValue: request.task.arn } },
    { key: 'aws.ecs.task.family', value: { stringValue: 'shop' } },
    { key: 'aws.ecs.task.revision', value: { stringValue: '7' } },
    { key: 'container.name', value: { stringValue: 'web' } },
  ])
  const record = logs.scopeLogs[0].logRecords[0]
  t.equal(record.timeUnixNano, String(BigInt(Date.parse(request.ts)) * 1_000_000n))
  t.same(JSON.parse(record.body.stringValue), request)
  t.match(record.attributes, [{ key: 'sidewatch.id', value: { stringValue: request.id } }, { key: 'sidewatch.kind', value: { stringValue: 'http.request' } }])
  t.equal((await agent.proc.stop()).code, 0)
})

t.test('alerts carry the rule and a severity from the priority', async (t) => {
  const body = otlpLogs([events.alert()]) as any
  const record = body.resourceLogs[0].scopeLogs[0].logRecords[0]
  t.match(record, { severityNumber: 13, severityText: 'WARN' })
  t.match(record.attributes, [{ key: 'sidewatch.id' }, { key: 'sidewatch.kind', value: { stringValue: 'alert' } }, { key: 'sidewatch.source' }, { key: 'sidewatch.rule', value: { stringValue: 'shell_in_container' } }, { key: 'sidewatch.priority', value: { stringValue: 'warning' } }])
  t.same(parseSinkSpec('otlp+https://collector:4318'), { type: 'otlp', url: 'otlp+https://collector:4318' })
  t.throws(() => parseSinkSpec('otlp+ftp://x'), { code: 'SW_ERR_SINK' })
})
