// `sidewatch-agent cloudtrail PATH...`: CloudTrail files as S3 delivers them (gzip or not), JSON
// lines of records and of EventBridge events, directory trees; alerts with the record's eventID
// and principal; bad files and records named and skipped, the rest processed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { jsonLines, runCli, tempDir } from './helpers/agent'

const record = (id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '1.08',
  userIdentity: { type: 'AssumedRole', principalId: 'AROAEXAMPLE:alice', arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice', accountId: '123456789012' },
  eventTime: '2026-11-27T10:00:00Z',
  eventSource: 'ecs.amazonaws.com',
  eventName: name,
  awsRegion: 'eu-west-1',
  sourceIPAddress: '203.0.113.10',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: { cluster: 'prod', task: 'abc123', container: 'app', interactive: true, command: '/bin/sh' },
  responseElements: null,
  requestID: `req-${id}`,
  eventID: id,
  readOnly: false,
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: '123456789012',
  ...extra,
})

const RULES = `
- rule: ECS Exec into a container
  desc: someone opened a shell in a running container with ECS Exec
  condition: evt.kind = cloudtrail and ct.name = ExecuteCommand and not ct.error exists
  output: "%ct.principal ran %ct.request.command in %ct.request.cluster/%ct.request.container from %ct.src_ip"
  priority: warning
  tags: [T1609]
`

t.test('S3 log files (gzip or not), JSON lines, EventBridge events, directories: one alert per record', async (t) => {
  const dir = tempDir(t)
  const tree = join(dir, 'AWSLogs', '123456789012', 'CloudTrail', 'eu-west-1')
  mkdirSync(tree, { recursive: true })
  writeFileSync(join(tree, 'a.json.gz'), gzipSync(JSON.stringify({ Records: [record('11111111-1111-1111-1111-111111111111', 'ExecuteCommand'), record('22222222-2222-2222-2222-222222222222', 'ListTasks', { readOnly: true })] })))
  writeFileSync(join(tree, 'b.json'), JSON.stringify({ Records: [record('33333333-3333-3333-3333-333333333333', 'ExecuteCommand', { errorCode: 'AccessDeniedException', errorMessage: 'denied' })] }))
  writeFileSync(join(dir, 'eventbridge.jsonl'), JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ecs', detail: record('44444444-4444-4444-4444-444444444444', 'ExecuteCommand', { eventTime: '2026-11-27T09:00:00Z' }) }) + '\n')
  const rules = join(dir, 'rules.yaml')
  writeFileSync(rules, RULES)
  const { code, stdout, stderr } = await runCli(['cloudtrail', join(dir, 'AWSLogs'), join(dir, 'eventbridge.jsonl'), '--rules', rules, '--no-defaults'])
  t.equal(code, 0)
  const alerts = jsonLines(stdout)
  t.equal(alerts.length, 2, 'the two successful ExecuteCommand calls; not the denied one, not ListTasks')
  t.same(alerts.map((a) => a.alert.evidence), [['ct-44444444-4444-4444-4444-444444444444'], ['ct-11111111-1111-1111-1111-111111111111']], 'in time order, each with its record')
  t.match(alerts[1], {
    kind: 'alert',
    alert: {
      rule: 'ECS Exec into a container',
      output: 'arn:aws:sts::123456789012:assumed-role/Admin/alice ran /bin/sh in prod/app from 203.0.113.10',
      context: { explanation: 'someone opened a shell in a running container with ECS Exec', cloudtrail: { event_id: '11111111-1111-1111-1111-111111111111', event_name: 'ExecuteCommand', principal: 'arn:aws:sts::123456789012:assumed-role/Admin/alice', source_ip: '203.0.113.10', region: 'eu-west-1' } },
    },
  })
  for (const a of alerts) t.equal(validateEvent(a), undefined)
  t.match(stderr, /^3 files, 4 records, 0 skipped, 2 alerts\n$/)
})

t.test('a malformed file or record is named and skipped; the rest is processed; exit 1', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, '1-good.json'), JSON.stringify({ Records: [record('55555555-5555-5555-5555-555555555555', 'ExecuteCommand'), { eventName: 'NoId' }, record('66666666-6666-6666-6666-666666666666', 'ExecuteCommand', { eventTime: 'yesterday' })] }))
  writeFileSync(join(dir, '2-broken.json.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]))
  writeFileSync(join(dir, '3-lines.jsonl'), `${JSON.stringify(record('77777777-7777-7777-7777-777777777777', 'ExecuteCommand'))}\n{ nope\n`)
  const rules = join(tempDir(t), 'rules.yaml')
  writeFileSync(rules, RULES)
  const { code, stdout, stderr } = await runCli(['cloudtrail', dir, '--rules', rules, '--no-defaults'])
  t.equal(code, 1, 'something was skipped')
  t.equal(jsonLines(stdout).length, 2, 'the good records still alert')
  t.match(stderr, new RegExp(`SW_ERR_CLOUDTRAIL: ${dir}/1-good.json record 1: record has no eventID`))
  t.match(stderr, new RegExp(`SW_ERR_CLOUDTRAIL: ${dir}/1-good.json record 2: record has an eventTime that is not a time: "yesterday"`))
  t.match(stderr, new RegExp(`SW_ERR_CLOUDTRAIL: ${dir}/2-broken.json.gz: cannot read: `))
  t.match(stderr, new RegExp(`SW_ERR_CLOUDTRAIL: ${dir}/3-lines.jsonl record 1: line 2 is not JSON`))
  t.match(stderr, /files, 2 records, 4 skipped, 2 alerts\n$/)
  const usage = await runCli(['cloudtrail'])
  t.match(usage, { code: 2, stderr: /SW_ERR_USAGE: cloudtrail needs at least one PATH/ })
})

t.test('identity, error and resource fields of a record', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'r.json'), JSON.stringify({ Records: [record('88888888-8888-8888-8888-888888888888', 'ExecuteCommand', {
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice', accessKeyId: 'ASIAEXAMPLE', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/Admin' } } },
    errorCode: 'AccessDeniedException', errorMessage: 'not allowed here',
    resources: [{ ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', accountId: '123456789012' }],
  })] }))
  const rules = join(tempDir(t), 'r.yaml')
  writeFileSync(rules, `- rule: Fields
  condition: evt.kind = cloudtrail and ct.user.access_key = ASIAEXAMPLE and ct.user.session_issuer endswith role/Admin and ct.resources endswith cluster/prod and ct.error_message contains "not allowed"
  output: "%ct.error %ct.error_message %ct.resources"
  priority: notice
`)
  const { stdout } = await runCli(['cloudtrail', dir, '--rules', rules, '--no-defaults'])
  t.match(jsonLines(stdout), [{ alert: { output: 'AccessDeniedException not allowed here arn:aws:ecs:eu-west-1:123456789012:cluster/prod' } }])
})
