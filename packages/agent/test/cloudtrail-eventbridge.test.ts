// CloudTrail from EventBridge into the running agent: the deployment key is required, each
// record becomes a cloudtrail event and goes through the rules like any other event.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'

const record = (id: string): Record<string, unknown> => ({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::123456789012:user/bob', accountId: '123456789012', userName: 'bob' },
  eventTime: new Date().toISOString(),
  eventSource: 'ecs.amazonaws.com',
  eventName: 'ExecuteCommand',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.20',
  requestParameters: { cluster: 'prod', container: 'app', command: '/bin/bash', interactive: true },
  eventID: id,
  eventType: 'AwsApiCall',
})

t.test('EventBridge events into the agent: keyed, stored, through the rules', async (t) => {
  const dir = tempDir(t)
  const rules = join(dir, 'ct.yaml')
  writeFileSync(rules, '- rule: Exec\n  desc: ECS Exec\n  condition: evt.kind = cloudtrail and ct.name = ExecuteCommand\n  output: "%ct.principal exec %ct.request.command"\n  priority: warning\n')
  const agent = await startAgent(t, { dir, args: ['--cloudtrail-listen', 'tcp://127.0.0.1:0', '--rules', rules], env: { SIDEWATCH_KEY: 'deploy-key' } })
  const listening = await agent.proc.line('cloudtrail listening', (l) => l.msg === 'cloudtrail listening')
  const url = String(listening.address)
  const post = (body: unknown, key?: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) }, body: JSON.stringify(body) })

  t.equal((await post([record('a1')])).status, 401, 'no key')
  t.equal((await post([record('a1')], 'wrong')).status, 401, 'wrong key')
  const ok = await post([{ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ecs', detail: record('aaaaaaaa-0000-0000-0000-000000000001') }, { 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'broken' } }], 'deploy-key')
  t.equal(ok.status, 200)
  t.match(await ok.json(), { accepted: 1, rejected: [{ index: 1, error: /SW_ERR_CLOUDTRAIL: record has no eventID/ }] })
  const stored = await waitFor('the cloudtrail event', () => readJsonl(agent.jsonl).find((e) => e.kind === 'cloudtrail'))
  t.match(stored, { id: 'ct-aaaaaaaa-0000-0000-0000-000000000001', source: 'agent.cloudtrail', cloudtrail: { event_name: 'ExecuteCommand', principal: 'arn:aws:iam::123456789012:user/bob', source_ip: '198.51.100.20' } })
  const alert = await waitFor('its alert', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.rule === 'Exec'))
  t.match(alert.alert, { output: 'arn:aws:iam::123456789012:user/bob exec /bin/bash', evidence: [stored.id], context: { cloudtrail: { event_id: 'aaaaaaaa-0000-0000-0000-000000000001' } } })
  t.equal((await agent.proc.stop()).code, 0)
})
