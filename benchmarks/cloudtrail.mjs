// Benchmark (issue 8): CloudTrail records per second through the shipped rules, from a gzip log
// file as CloudTrail delivers it to S3: `sidewatch-agent cloudtrail FILE` as a user runs it, whole
// process (start-up, gunzip, JSON, the rules, the alerts written). The file is made here: a
// seeded mix of ECS, IAM, EC2/VPC, EKS, SSM, STS and CloudTrail calls shaped like AWS's own
// records, a few of them the risky kind the rules look for. Goal: at least 100,000 records/s.
//
// Settings: BENCH_CT_RECORDS (200,000), BENCH_ROUNDS (5; the median counts).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { agentBin } from './agent-process.mjs'

const RECORDS = Number(process.env.BENCH_CT_RECORDS ?? 200_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const GOAL = 100_000

let seed = 7
const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
const pick = (xs) => xs[Math.floor(random() * xs.length)]
const T0 = Date.parse('2026-11-27T00:00:00Z')
const CALLS = [
  ['ecs.amazonaws.com', 'DescribeTasks', { cluster: 'prod', tasks: ['arn:aws:ecs:eu-west-1:123456789012:task/prod/abc'] }, true],
  ['ecs.amazonaws.com', 'ListServices', { cluster: 'prod' }, true],
  ['ecs.amazonaws.com', 'UpdateService', { cluster: 'prod', service: 'web', taskDefinition: 'web:42' }, false],
  ['ecs.amazonaws.com', 'ExecuteCommand', { cluster: 'prod', container: 'app', command: '/bin/sh', interactive: true }, false],
  ['ecs.amazonaws.com', 'RegisterTaskDefinition', { family: 'web', networkMode: 'awsvpc', containerDefinitions: [{ name: 'app', image: 'shop:1', privileged: false, environment: [{ name: 'PORT', value: '8080' }] }] }, false],
  ['iam.amazonaws.com', 'GetRole', { roleName: 'web-task' }, true],
  ['iam.amazonaws.com', 'AttachRolePolicy', { roleName: 'web-task', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, false],
  ['ec2.amazonaws.com', 'DescribeInstances', {}, true],
  ['ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', { groupId: 'sg-0123', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } }, false],
  ['eks.amazonaws.com', 'DescribeCluster', { name: 'prod' }, true],
  ['ssm.amazonaws.com', 'GetParameter', { name: '/prod/sidewatch/key', withDecryption: true }, true],
  ['sts.amazonaws.com', 'AssumeRole', { roleArn: 'arn:aws:iam::123456789012:role/deploy', roleSessionName: 'ci' }, true],
  ['cloudtrail.amazonaws.com', 'LookupEvents', {}, true],
]
const principals = ['arn:aws:iam::123456789012:user/alice', 'arn:aws:sts::123456789012:assumed-role/deploy/ci', 'arn:aws:sts::123456789012:assumed-role/web-task/abc']

function makeRecord (i) {
  // Mostly reads; about 1 in 50 a change the rules may care about.
  const [source, name, params, readOnly] = random() < 0.98 ? pick(CALLS.filter((c) => c[3])) : pick(CALLS.filter((c) => !c[3]))
  const arn = pick(principals)
  return {
    eventVersion: '1.08',
    userIdentity: { type: arn.includes(':user/') ? 'IAMUser' : 'AssumedRole', principalId: `AIDA${i % 97}`, arn, accountId: '123456789012', accessKeyId: `ASIA${i % 89}`, sessionContext: { attributes: { mfaAuthenticated: 'false', creationDate: '2026-11-27T00:00:00Z' } } },
    eventTime: new Date(T0 + i * 20).toISOString().replace('.000', '').replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: 'eu-west-1',
    sourceIPAddress: `198.51.100.${i % 250}`,
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1',
    requestParameters: params,
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-ct-bench-'))
try {
  const file = join(dir, '123456789012_CloudTrail_eu-west-1_20261127T0000Z_bench.json.gz')
  const records = Array.from({ length: RECORDS }, (_, i) => makeRecord(i))
  const raw = Buffer.from(JSON.stringify({ Records: records }))
  writeFileSync(file, gzipSync(raw))
  const rates = []
  const rss = []
  let alerts = 0
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint()
    // Through GNU time (benchmarks/setup-peers.sh installs it) for the process's max RSS.
    const res = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, agentBin, 'cloudtrail', file], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 })
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    if (res.status !== 0) { console.error(res.stderr); process.exit(2) }
    rss.push(Number(/maxrss_kb=(\d+)/.exec(res.stderr)?.[1] ?? NaN) / 1024)
    alerts = res.stdout.split('\n').filter((l) => l !== '').length
    rates.push(RECORDS / s)
  }
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]
  console.log(`cloudtrail: ${RECORDS.toLocaleString('en-US')} records in one gzip log file (${(raw.length / 2 ** 20).toFixed(0)} MiB of JSON), the shipped rules, whole process, ${ROUNDS} rounds`)
  console.log(`  records/s: median ${Math.round(median).toLocaleString('en-US')} (range ${Math.round(rates[0]).toLocaleString('en-US')}–${Math.round(rates.at(-1)).toLocaleString('en-US')}), ${alerts} alerts, max RSS ${Math.max(...rss).toFixed(0)} MiB`)
  console.log(`goal >= ${GOAL.toLocaleString('en-US')} records/s: ${median >= GOAL ? 'met' : 'NOT met'} (${(median / GOAL).toFixed(2)}x)`)
  console.log(JSON.stringify({ records: RECORDS, records_per_s: Math.round(median), range: [Math.round(rates[0]), Math.round(rates.at(-1))], alerts, max_rss_mib: Math.round(Math.max(...rss)), goal_met: median >= GOAL }))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
