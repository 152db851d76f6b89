// The shipped CloudTrail rules (rules/80-cloudtrail.yaml), loaded with the whole pack through the
// real engine: every rule has a CloudTrail record (test/fixtures/cloudtrail/*.json, S3's
// {"Records": [...]} form) that fires it and a near miss that must not.
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { loadRules } from '../src/rules/load-rules'
import { RuleEngine, type Alert } from '../src/rules/rule-engine'
import type { AnyEvent } from '../src/rules/fields'
import type { RuleSet } from '../src/rules/rule-set'

const FIXTURES = join(__dirname, 'fixtures', 'cloudtrail')
const PACK_FILE = '80-cloudtrail.yaml'

type CloudTrailRecord = Record<string, any>

/** A record as the agent's cloudtrail event (the shape the ingest makes). */
function toEvent (record: CloudTrailRecord): AnyEvent {
  const identity = record.userIdentity ?? {}
  const cloudtrail: Record<string, unknown> = {
    event_id: record.eventID,
    event_name: record.eventName,
    event_source: record.eventSource,
    event_time: record.eventTime,
    record,
  }
  if (record.awsRegion !== undefined) cloudtrail.region = record.awsRegion
  if (record.sourceIPAddress !== undefined) cloudtrail.source_ip = record.sourceIPAddress
  const principal = identity.arn ?? identity.principalId
  if (principal !== undefined) cloudtrail.principal = principal
  if (record.errorCode !== undefined) cloudtrail.error_code = record.errorCode
  return { id: `ct-${record.eventID as string}`, ts: record.eventTime, source: 'agent.cloudtrail', kind: 'cloudtrail', cloudtrail } as AnyEvent
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()
const records: Array<{ file: string, record: CloudTrailRecord }> = files.flatMap((file) => {
  const parsed = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { Records: CloudTrailRecord[] }
  return parsed.Records.map((record) => ({ file, record }))
})

/** The records whose eventID starts with this prefix (fixture ids start with a readable group). */
function ev (prefix: string): AnyEvent[] {
  const found = records.filter((r) => (r.record.eventID as string).startsWith(prefix)).map((r) => toEvent(r.record))
  if (found.length === 0) throw new Error(`no fixture record with eventID ${prefix}…`)
  return found
}
const evs = (...prefixes: string[]): AnyEvent[] => prefixes.flatMap(ev)

interface Case { before?: AnyEvent[], fires: AnyEvent[], misses: AnyEvent[] }

// Fixture ids: ec5… ecs.json, a1a… iam.json, bbc… vpc.json, c7a… trail.json, e45… eks.json,
// 55a… ssm.json, de01/de02/de03… denied.json.
const CASES: Record<string, () => Case> = {
  'ECS Exec into container': () => ({ fires: ev('ec500001'), misses: ev('ec500002') }), // exec not enabled on the task
  // node-debug (EC2: privileged, host network, host PID) fires; Fargate refusing privileged and the
  // well-made shop task definition do not.
  'Privileged container in task definition': () => ({ fires: ev('ec500003'), misses: evs('ec500006', 'ec500005', 'ec500004') }),
  'Host network mode in task definition': () => ({ fires: ev('ec500003'), misses: evs('ec500005', 'ec500004', 'ec500007') }),
  'Host PID or IPC namespace in task definition': () => ({ fires: evs('ec500003', 'ec500007'), misses: evs('ec500006', 'ec500005', 'ec500004') }), // pidMode task does not
  'Linux capabilities added in task definition': () => ({ fires: ev('ec500004'), misses: evs('ec500005', 'ec500003') }), // an empty add list does not
  'Secret in plain environment of task definition': () => ({ fires: ev('ec500004'), misses: ev('ec500005') }), // secrets via valueFrom do not
  // Learned in the first week: github-deploy (UpdateService), bob (RunTask), ops-automation (RunTask).
  'ECS task run or service updated by unusual principal': () => ({
    before: evs('ec500010', 'ec500011'),
    fires: ev('ec500014'), // ci-legacy runs a task with an overridden command, day 8
    misses: evs('ec500019', 'ec500015', 'ec500016', 'ec500017', 'ec500013'), // bob again; scaling only; refused; a role
  }),
  'ECS task run or service updated by unusual role': () => ({
    before: evs('ec500010', 'ec500011'),
    fires: ev('ec500013'), // the Admin role runs node-debug, day 8
    misses: evs('ec500019', 'ec500012', 'ec500014'), // new while learning; github-deploy in a new CI session; an IAM user
  }),
  'IAM role policy changed': () => ({ fires: evs('a1a00001', 'a1a00002', 'a1a00003'), misses: evs('a1a00004', 'a1a00005') }),
  'Administrator policy attached': () => ({ fires: ev('a1a00005'), misses: evs('a1a00006', 'a1a00004', 'a1a00001') }),
  'IAM user created': () => ({ fires: ev('a1a00007'), misses: ev('a1a00008') }),
  'IAM access key created': () => ({ fires: evs('a1a00009', 'a1a00019'), misses: ev('a1a00010') }),
  'IAM console password created or changed': () => ({ fires: ev('a1a00011'), misses: ev('a1a00012') }),
  // bob without MFA fires; with MFA, a failed sign-in, an SSO sign-in and root with MFA do not.
  'Console login without MFA': () => ({ fires: ev('a1a00013'), misses: evs('a1a00014', 'a1a00015', 'a1a00016', 'a1a00017') }),
  'Root account used': () => ({ fires: evs('a1a00017', 'a1a00019'), misses: evs('a1a00018', 'a1a00013') }), // AWS Support acting for root does not
  'Security group ingress open to the internet': () => ({ fires: evs('bbc00001', 'bbc00002'), misses: evs('bbc00003', 'bbc00004') }),
  'VPC flow logs deleted': () => ({ fires: ev('bbc00005'), misses: ev('bbc00006') }),
  'Route table changed': () => ({ fires: ev('bbc00007'), misses: evs('bbc00008', 'bbc00009') }),
  'Network ACL changed': () => ({ fires: ev('bbc00010'), misses: ev('bbc00011') }),
  'Internet gateway changed': () => ({ fires: evs('bbc00012', 'bbc00013'), misses: evs('bbc00014', 'bbc00015') }),
  'CloudTrail logging stopped or trail deleted': () => ({ fires: evs('c7a00001', 'c7a00003'), misses: evs('c7a00002', 'c7a00004') }),
  'CloudTrail trail or event selectors changed': () => ({ fires: evs('c7a00005', 'c7a00006'), misses: evs('c7a00007', 'c7a00008') }),
  // A private cluster, a public endpoint limited to 203.0.113.0/24, a refused update and ECS's own
  // CreateCluster do not.
  'EKS API endpoint public to the internet': () => ({ fires: evs('e4500001', 'e4500002'), misses: evs('e4500003', 'e4500004', 'e4500007', 'ec500020') }),
  'EKS control plane logging disabled': () => ({ fires: ev('e4500005'), misses: evs('e4500006', 'e4500004', 'e4500001') }),
  'EKS access entry created': () => ({ fires: ev('e4500008'), misses: ev('e4500009') }),
  'EKS cluster admin policy associated': () => ({ fires: ev('e4500010'), misses: ev('e4500011') }),
  'EKS Fargate profile changed': () => ({ fires: evs('e4500012', 'e4500013'), misses: evs('e4500014', 'e4500015') }),
  // ci-legacy, the Admin role (by ARN in GetParameters), a refused read and a read by path fire;
  // another parameter does not. (The task execution role's read, 55a00004, fires too until it is
  // named in sidewatch_key_readers: see below.)
  'Sidewatch deployment key read by unexpected principal': () => ({ fires: evs('55a00001', '55a00002', '55a00005', '55a00006'), misses: ev('55a00003') }),
  'Burst of access denied errors': () => ({ fires: ev('de01'), misses: evs('de02', 'de03') }),
}

const set = loadRules([])
const ctRules = set.rules.filter((r) => r.file.endsWith(PACK_FILE))

function run (rules: RuleSet, before: AnyEvent[], events: AnyEvent[]): Alert[] {
  const engine = new RuleEngine(rules)
  for (const e of before) engine.evaluate(e)
  return [...events.flatMap((e) => engine.evaluate(e)), ...engine.flush()]
}

t.test('the fixtures are CloudTrail records as AWS delivers them, and valid events', async (t) => {
  t.same(files, ['denied.json', 'ecs.json', 'eks.json', 'iam.json', 'ssm.json', 'trail.json', 'vpc.json'])
  const ids = records.map((r) => r.record.eventID)
  t.equal(new Set(ids).size, ids.length, 'eventIDs are unique across files')
  for (const { file, record } of records) {
    for (const key of ['eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'eventID', 'eventType', 'recipientAccountId']) {
      if (!(key in record)) t.fail(`${file} ${record.eventID as string}: no ${key}`)
    }
    if (record.recipientAccountId !== '123456789012' || (record.userIdentity.accountId !== undefined && record.userIdentity.accountId !== '123456789012')) t.fail(`${file} ${record.eventID as string}: another account`)
    if (/^\d/.test(record.sourceIPAddress) && !/^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(record.sourceIPAddress)) t.fail(`${file} ${record.eventID as string}: not a documentation address`)
    const issue = validateEvent(toEvent(record))
    if (issue !== undefined) t.fail(`${file} ${record.eventID as string} is not a valid event: ${issue.message} at ${issue.field}`)
  }
  t.ok(records.length >= 100)
})

t.test('the pack with the CloudTrail rules loads without problems', async (t) => {
  t.same(set.problems, [])
  t.ok(ctRules.length >= 20, `${ctRules.length} CloudTrail rules`)
  for (const r of ctRules) {
    t.ok(r.tags.some((tag) => /^T\d{4}/.test(tag)), `${r.name}: a MITRE ATT&CK technique tag`)
    t.ok(r.desc.length > 20, `${r.name}: a desc`)
    t.same(r.kinds === undefined ? undefined : [...r.kinds], ['cloudtrail'], `${r.name}: tried on cloudtrail events only`)
  }
})

t.test('every CloudTrail rule has a record that fires it and a near miss that does not', async (t) => {
  t.same(ctRules.map((r) => r.name).filter((name) => !(name in CASES)), [], 'no rule without fixtures')
  for (const [name, make] of Object.entries(CASES)) {
    t.ok(ctRules.some((r) => r.name === name), `${name} is in ${PACK_FILE}`)
    const { before = [], fires, misses } = make()
    const fired = run(set, before, fires).filter((a) => a.alert.rule === name)
    t.ok(fired.length >= 1, `${name}: fires`)
    const firstOfEach = new Set(fired.filter((a) => a.alert.count === 1).flatMap((a) => a.alert.evidence))
    if (name !== 'Burst of access denied errors') {
      // Every firing record alerts (distinct records, distinct dedup keys), with its own event as evidence.
      for (const e of fires) t.ok(firstOfEach.has(e.id), `${name}: ${e.id} fires`)
    }
    for (const a of fired) {
      t.equal(validateEvent(a), undefined, `${name}: the alert is a valid event`)
      t.notMatch(a.alert.output, /%[a-z]/, `${name}: the output has no placeholder left`)
      t.ok(a.alert.evidence.length >= 1 && a.alert.evidence.every((id) => fires.some((e) => e.id === id)), `${name}: the evidence is the firing records' event ids`)
    }
    const missed = run(set, before, misses).filter((a) => a.alert.rule === name)
    t.same(missed.map((a) => a.alert.output), [], `${name}: the near misses do not fire`)
  }
})

t.test('outputs carry what a responder needs', async (t) => {
  const out = (name: string, prefix: string, before: AnyEvent[] = []): string => run(set, before, ev(prefix)).find((a) => a.alert.rule === name)?.alert.output ?? ''
  t.equal(out('ECS Exec into container', 'ec500001'), 'ECS Exec by arn:aws:sts::123456789012:assumed-role/Admin/alice from 198.51.100.23: command /bin/sh (interactive true) in container shop of task 4b1e0c7d9a2f4e6b8c3d5a7f9e1b2c4d, cluster prod (us-east-1, account 123456789012)')
  t.match(out('Linux capabilities added in task definition', 'ec500004'), 'adds capabilities SYS_PTRACE (containers shop,sidewatch')
  t.match(out('Secret in plain environment of task definition', 'ec500004'), 'variables NODE_ENV,DB_PASSWORD,STRIPE_API_KEY')
  t.match(out('Security group ingress open to the internet', 'bbc00002'), 'IPv6 ::/0')
  t.match(out('ECS task run or service updated by unusual role', 'ec500013', evs('ec500010')), 'unusual role arn:aws:iam::123456789012:role/Admin (session arn:aws:sts::123456789012:assumed-role/Admin/mallory)')
  t.match(out('Sidewatch deployment key read by unexpected principal', '55a00005'), 'error AccessDeniedException) by arn:aws:iam::123456789012:user/eve')
  const burst = run(set, [], ev('de01')).filter((a) => a.alert.rule === 'Burst of access denied errors')
  t.equal(burst.length, 1, 'one alert for the burst')
  t.match(burst[0]?.alert.output, 'More than 10 access denied errors in 5 minutes from arn:aws:iam::123456789012:user/ci-legacy')
  t.equal(burst[0]?.alert.evidence[0], ev('de01')[10]?.id, 'the eleventh denial is the evidence')
})

t.test('the lists and hooks are extended from a user file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sidewatch-ct-rules-'))
  const file = join(dir, 'mine.yaml')
  writeFileSync(file, [
    '- list: sidewatch_key_readers',
    '  items: ["arn:aws:iam::123456789012:role/sidewatch-task-execution"]',
    '  override:',
    '    items: append',
    '- list: sidewatch_key_parameters',
    '  items: ["/prod/shop/*"]',
    '  override:',
    '    items: append',
    '- macro: user_known_task_definitions',
    '  condition: ct.request.family = shop',
    '',
  ].join('\n'))
  const mine = loadRules([file])
  t.same(mine.problems, [])
  const key = 'Sidewatch deployment key read by unexpected principal'
  t.ok(run(set, [], ev('55a00004')).some((a) => a.alert.rule === key), 'the execution role reading the key fires by default')
  t.notOk(run(mine, [], ev('55a00004')).some((a) => a.alert.rule === key), 'a known reader does not')
  t.ok(run(mine, [], ev('55a00001')).some((a) => a.alert.rule === key), 'others still do')
  t.ok(run(mine, [], ev('55a00003')).some((a) => a.alert.rule === key), 'an appended parameter pattern is watched')
  t.notOk(run(mine, [], ev('ec500004')).some((a) => a.alert.rule === 'Linux capabilities added in task definition'), 'a known task definition family is left out')
  t.ok(run(mine, [], ev('ec500003')).some((a) => a.alert.rule === 'Privileged container in task definition'), 'other families still fire')
})

t.test('all the fixtures through one engine, as the cloudtrail command would', async (t) => {
  const events = records.map((r) => toEvent(r.record)).sort((a, b) => Date.parse(a.ts as string) - Date.parse(b.ts as string))
  const alerts = run(set, [], events)
  const byId = new Set(events.map((e) => e.id))
  for (const a of alerts) {
    t.notMatch(a.alert.output, /%[a-z]/)
    if (!a.alert.evidence.every((id) => byId.has(id))) t.fail(`${a.alert.rule}: evidence not from the fixtures`)
  }
  const rules = new Set(alerts.map((a) => a.alert.rule))
  t.same(ctRules.map((r) => r.name).filter((n) => !rules.has(n)), [], 'every CloudTrail rule fires somewhere in the fixtures')
  t.notOk(alerts.some((a) => !a.alert.tags?.includes('cloudtrail')), 'only CloudTrail rules fire on CloudTrail events')
})
