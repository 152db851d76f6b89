// `sidewatch-agent inject`: the sidecar into task definitions and pods of several shapes,
// injecting twice is injecting once, and bad input gets one clear error with a stable code.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { injectTaskDefinition, parseTaskDefinition } from '../src/deploy/ecs-inject'
import { formatPodDocuments, injectPods, parsePodDocuments } from '../src/deploy/pod-inject'
import { AGENT_CONTAINER, DEFAULT_IMAGE, withSdkPreload } from '../src/deploy/sidecar'
import { runCli, tempDir } from './helpers/agent'

const KEY = 'arn:aws:ssm:eu-west-1:111122223333:parameter/sidewatch/key'
const IMAGE = 'registry.example/sidewatch-agent:0.1.0'

function taskDefinition (overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    family: 'api',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '1024',
    memory: '2048',
    executionRoleArn: 'arn:aws:iam::111122223333:role/exec',
    containerDefinitions: [
      { name: 'web', image: 'web:1', essential: true, environment: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=512' }], dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }] },
      { name: 'migrate', image: 'web:1', essential: false, command: ['node', 'migrate.js'] },
    ],
    ...overrides,
  }
}

const inject = (td: Record<string, unknown>, options = {}): Record<string, any> => injectTaskDefinition(td, options).output
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

t.test('a task definition: the sidecar added, every app container wired, the rest kept', async (t) => {
  const input = taskDefinition()
  const { output, notes } = injectTaskDefinition(clone(input), { image: IMAGE, keyParameter: KEY }) as { output: Record<string, any>, notes: string[] }
  t.same(Object.keys(output), [...Object.keys(input), 'pidMode'], 'keys kept in order, pidMode added')
  t.equal(output.pidMode, 'task')
  t.same(output.containerDefinitions.map((c: any) => c.name), ['web', 'migrate', AGENT_CONTAINER])
  const [web, migrate, agent] = output.containerDefinitions
  t.same(web.environment, [
    { name: 'NODE_OPTIONS', value: '--max-old-space-size=512 -r @sidewatch/node-asm/register' },
    { name: 'SIDEWATCH_AGENT', value: 'tcp://127.0.0.1:7878' },
  ], 'the preload appended to the NODE_OPTIONS there were')
  t.same(web.dependsOn, [{ containerName: 'migrate', condition: 'SUCCESS' }, { containerName: AGENT_CONTAINER, condition: 'HEALTHY' }])
  t.same(migrate.command, ['node', 'migrate.js'])
  t.match(agent, { image: IMAGE, essential: false, cpu: 128, secrets: [{ name: 'SIDEWATCH_KEY', valueFrom: KEY }] })
  t.equal(agent.logConfiguration, undefined, 'no awslogs to copy: none invented')
  t.match(notes.join('\n'), /logs nowhere/)
  t.match(notes.join('\n'), /@sidewatch\/node-asm installed.*web, migrate/)
  t.same(input, taskDefinition(), 'the input is not changed')
})

t.test('injecting twice is injecting once', async (t) => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['defaults', taskDefinition(), {}],
    ['image, key and sinks', taskDefinition(), { image: IMAGE, keyParameter: KEY, sinks: ['jsonl:-', 'https://collector.example/v1/events'] }],
    ['one app', taskDefinition(), { apps: ['web'] }],
    ['no environment anywhere', taskDefinition({ containerDefinitions: [{ name: 'a', image: 'a' }] }), {}],
  ]
  for (const [name, input, options] of cases) {
    const once = inject(clone(input), options)
    t.same(inject(clone(once), options), once, `${name}: with the same options`)
    t.same(inject(clone(once)), once, `${name}: without options (image, key and sinks kept)`)
    t.equal(JSON.stringify(inject(clone(once), options)), JSON.stringify(once), `${name}: byte for byte`)
  }
})

t.test('a second inject changes what it is asked to, and only that', async (t) => {
  const once = inject(taskDefinition(), { image: IMAGE, keyParameter: KEY })
  const agent = once.containerDefinitions[2]
  agent.environment.push({ name: 'SIDEWATCH_LOG_LEVEL', value: 'debug' })
  agent.secrets.push({ name: 'SIDEWATCH_TOKEN', valueFrom: `${KEY}-token` })
  const twice = inject(once, { image: 'registry.example/sidewatch-agent:0.2.0', keyParameter: `${KEY}-2` })
  const after = twice.containerDefinitions[2]
  t.equal(after.image, 'registry.example/sidewatch-agent:0.2.0')
  t.same(after.secrets, [{ name: 'SIDEWATCH_TOKEN', valueFrom: `${KEY}-token` }, { name: 'SIDEWATCH_KEY', valueFrom: `${KEY}-2` }], 'the key replaced, the user\'s own secret kept')
  t.ok(after.environment.some((e: any) => e.name === 'SIDEWATCH_LOG_LEVEL'), 'the user\'s own variable kept')
  t.equal(twice.containerDefinitions.filter((c: any) => c.name === AGENT_CONTAINER).length, 1)
  t.equal(twice.containerDefinitions[0].dependsOn.filter((d: any) => d.containerName === AGENT_CONTAINER).length, 1)
})

t.test('describe-task-definition output is taken as it is printed, its read-only keys dropped', async (t) => {
  const described = { taskDefinition: { ...taskDefinition(), taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/api:3', revision: 3, status: 'ACTIVE', requiresAttributes: [], compatibilities: ['EC2', 'FARGATE'], registeredAt: '2026-11-01T00:00:00Z', registeredBy: 'arn:aws:iam::111122223333:user/x' } }
  const out = inject(parseTaskDefinition(JSON.stringify(described)))
  for (const key of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy']) t.notOk(key in out, `${key} dropped`)
  t.equal(out.family, 'api')
})

t.test('NODE_OPTIONS gains the preload once, whatever spelling is there', async (t) => {
  t.equal(withSdkPreload(undefined), '-r @sidewatch/node-asm/register')
  t.equal(withSdkPreload('  '), '-r @sidewatch/node-asm/register')
  t.equal(withSdkPreload('--enable-source-maps'), '--enable-source-maps -r @sidewatch/node-asm/register')
  for (const there of ['-r @sidewatch/node-asm/register', '--require @sidewatch/node-asm/register', '--import=@sidewatch/node-asm/register --trace-warnings']) {
    t.equal(withSdkPreload(there), there, there)
  }
})

t.test('a SIDEWATCH_AGENT the user set is kept, with a note that the agent listens elsewhere', async (t) => {
  const td = taskDefinition({ containerDefinitions: [{ name: 'web', image: 'w', environment: [{ name: 'SIDEWATCH_AGENT', value: 'unix:/run/sidewatch/agent.sock' }] }] })
  t.match(injectTaskDefinition(clone(td)).notes.join('\n'), /container web keeps its SIDEWATCH_AGENT=unix:\/run\/sidewatch\/agent\.sock, but the agent listens on tcp:\/\/127\.0\.0\.1:7878/)
  const pod = injectPods(parsePodDocuments('kind: Pod\nspec: { containers: [{ name: a, image: a, env: [{ name: SIDEWATCH_AGENT, value: "tcp://127.0.0.1:9999" }] }] }\n'))
  t.match(pod.notes.join('\n'), /container a keeps its SIDEWATCH_AGENT=tcp:\/\/127\.0\.0\.1:9999/)
  t.same(inject(td).containerDefinitions[0].environment, [
    { name: 'SIDEWATCH_AGENT', value: 'unix:/run/sidewatch/agent.sock' },
    { name: 'NODE_OPTIONS', value: '-r @sidewatch/node-asm/register' },
  ])
})

t.test('the agent copies the app\'s awslogs configuration with its own stream prefix', async (t) => {
  const logs = { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'web' } }
  const out = inject(taskDefinition({ containerDefinitions: [{ name: 'web', image: 'w', logConfiguration: logs }] }))
  t.same(out.containerDefinitions[1].logConfiguration, { logDriver: 'awslogs', options: { ...logs.options, 'awslogs-stream-prefix': 'sidewatch' } })
  t.equal(out.containerDefinitions[0].logConfiguration.options['awslogs-stream-prefix'], 'web', 'the app\'s own is untouched')
})

t.test('bad task definitions: SW_ERR_TASK_DEFINITION saying what is wrong', async (t) => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['not JSON', () => parseTaskDefinition('{"family": "x",', 'td.json'), /^td\.json is not JSON: /],
    ['an array', () => parseTaskDefinition('[]'), /must be a JSON object .*not an array/],
    ['null', () => parseTaskDefinition('null'), /not null/],
    ['no containerDefinitions', () => inject({ family: 'x', networkMode: 'awsvpc' }), /no containerDefinitions/],
    ['empty containerDefinitions', () => inject(taskDefinition({ containerDefinitions: [] })), /no containerDefinitions/],
    ['a container without a name', () => inject(taskDefinition({ containerDefinitions: [{ image: 'x' }] })), /containerDefinitions\[0\] has no name/],
    ['bridge', () => inject(taskDefinition({ networkMode: 'bridge' })), /networkMode is "bridge"; the sidecar needs "awsvpc"/],
    ['no networkMode', () => inject(taskDefinition({ networkMode: undefined })), /networkMode is not set \(ECS then uses bridge\)/],
    ['pidMode host', () => inject(taskDefinition({ pidMode: 'host' })), /pidMode is "host"/],
    ['Windows', () => inject(taskDefinition({ runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } })), /operatingSystemFamily is "WINDOWS_SERVER_2022_CORE"; the agent runs on Linux only/],
    ['environment not a list', () => inject(taskDefinition({ containerDefinitions: [{ name: 'a', image: 'a', environment: { A: '1' } }] })), /environment of container a must be an array/],
    ['too little cpu', () => inject(taskDefinition({ cpu: '256', containerDefinitions: [{ name: 'a', image: 'a', cpu: 256 }] })), /containers ask for 384, more than the task's cpu 256: raise the task's cpu \(e\.g\. to 512\)/],
    ['too little memory', () => inject(taskDefinition({ memory: '512', containerDefinitions: [{ name: 'a', image: 'a', memory: 512 }] })), /containers ask for 768 MiB, more than the task's memory 512/],
  ]
  for (const [name, run, message] of cases) t.throws(run, { code: 'SW_ERR_TASK_DEFINITION', message }, name)
  t.throws(() => inject(taskDefinition(), { keyParameter: 'sidewatch/key' }), { code: 'SW_ERR_USAGE', message: /not an SSM parameter ARN/ })
  t.throws(() => inject(taskDefinition(), { apps: ['nope'] }), { code: 'SW_ERR_USAGE', message: /--app nope: no container of that name; the task has web, migrate/ })
})

const POD = `# the app
apiVersion: v1
kind: Pod
metadata: { name: api }
spec:
  containers:
    - name: web
      image: web:1
      env:
        - { name: NODE_OPTIONS, value: --enable-source-maps }
`

t.test('a pod: shareProcessNamespace, the agent as a native sidecar with the downward API, the app wired', async (t) => {
  const { output, notes } = injectPods(parsePodDocuments(POD), { image: IMAGE, keySecret: 'sw', cluster: 'c1' })
  const spec = (output.docs[0] as any).spec
  t.equal(spec.shareProcessNamespace, true)
  t.same(spec.containers[0].env, [
    { name: 'NODE_OPTIONS', value: '--enable-source-maps -r @sidewatch/node-asm/register' },
    { name: 'SIDEWATCH_AGENT', value: 'tcp://127.0.0.1:7878' },
  ])
  const agent = spec.initContainers[0]
  t.match(agent, { name: AGENT_CONTAINER, image: IMAGE, restartPolicy: 'Always' })
  t.same(agent.env.find((e: any) => e.name === 'SIDEWATCH_KEY').valueFrom, { secretKeyRef: { name: 'sw', key: 'key' } })
  t.equal(agent.env.find((e: any) => e.name === 'SIDEWATCH_CLUSTER').value, 'c1')
  t.same(spec.volumes, [{ name: 'sidewatch-data', emptyDir: {} }])
  t.match(notes.join('\n'), /Kubernetes 1\.29/)
  const text = formatPodDocuments(output)
  t.notMatch(text, /[&*]a\d/, 'no YAML anchors or aliases')
  t.same(parseYaml(text), output.docs[0])
})

t.test('workloads, several documents and JSON', async (t) => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' }, spec: { replicas: 2, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'web', image: 'w' }] } } } }
  const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'j' }] } } } } } }
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { ports: [{ port: 80 }] } }
  const text = [deployment, service, cronJob].map((d) => JSON.stringify(d)).join('\n---\n')
  const { output } = injectPods(parsePodDocuments(text))
  const docs = output.docs as any[]
  t.equal(docs[0].spec.template.spec.initContainers[0].name, AGENT_CONTAINER)
  t.same(docs[1], service, 'the Service is left alone')
  t.equal(docs[2].spec.jobTemplate.spec.template.spec.initContainers[0].name, AGENT_CONTAINER)
  t.equal(parseAllDocuments(formatPodDocuments(output)).length, 3)

  const json = parsePodDocuments(JSON.stringify(deployment))
  t.equal(json.format, 'json')
  const once = formatPodDocuments(injectPods(json).output)
  t.same(JSON.parse(once).spec.template.spec.shareProcessNamespace, true)
  t.equal(formatPodDocuments(injectPods(parsePodDocuments(once)).output), once, 'JSON in, the same JSON out on the second inject')
})

t.test('injecting into a pod twice is injecting once', async (t) => {
  for (const options of [{}, { image: IMAGE, keySecret: 'sw:k', cluster: 'c', sinks: ['jsonl:-'] }]) {
    const once = formatPodDocuments(injectPods(parsePodDocuments(POD), options).output)
    t.equal(formatPodDocuments(injectPods(parsePodDocuments(once), options).output), once, 'same options')
    t.equal(formatPodDocuments(injectPods(parsePodDocuments(once)).output), once, 'no options: everything kept')
  }
  // A cluster before 1.29: the user moved the agent into the regular containers; it stays there.
  const once = injectPods(parsePodDocuments(POD)).output.docs[0] as any
  const agent = once.spec.initContainers.pop()
  delete agent.restartPolicy
  delete agent.startupProbe
  once.spec.containers.push(agent)
  const again = injectPods(parsePodDocuments(JSON.stringify(once))).output.docs[0] as any
  t.same(again.spec.initContainers, [])
  t.same(again.spec.containers.map((c: any) => c.name), ['web', AGENT_CONTAINER])
  t.same(again, once)
})

t.test('bad pods: SW_ERR_POD_SPEC saying what is wrong', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['not YAML', 'kind: Pod\nspec: [a\n', /is not YAML or JSON: /],
    ['broken JSON', '{"kind": "Pod",', /is not JSON: /],
    ['empty', '# nothing\n', /is empty/],
    ['no pod in it', 'kind: Service\nspec: { ports: [] }\n', /no pod found \(got Service\)/],
    ['no containers', 'kind: Pod\nspec: { containers: [] }\n', /Pod has no containers/],
    ['a container without a name', 'kind: Pod\nspec: { containers: [{ image: x }] }\n', /containers\[0\] has no name/],
    ['hostNetwork', 'kind: Pod\nspec: { hostNetwork: true, containers: [{ name: a, image: a }] }\n', /hostNetwork/],
    ['env not a list', 'kind: Pod\nspec: { containers: [{ name: a, image: a, env: { A: b } }] }\n', /container a: env must be an array/],
  ]
  for (const [name, text, message] of cases) t.throws(() => injectPods(parsePodDocuments(text)), { code: 'SW_ERR_POD_SPEC', message }, name)
  t.throws(() => injectPods(parsePodDocuments(POD), { keySecret: 'Bad_Name' }), { code: 'SW_ERR_USAGE', message: /--key-secret "Bad_Name"/ })
})

t.test('the command: output on stdout, notes on stderr, one error line and exit 2 on bad input', async (t) => {
  const dir = tempDir(t)
  const td = join(dir, 'td.json')
  writeFileSync(td, JSON.stringify(taskDefinition()))
  const pod = join(dir, 'pod.yaml')
  writeFileSync(pod, POD)
  const bridge = join(dir, 'bridge.json')
  writeFileSync(bridge, JSON.stringify(taskDefinition({ networkMode: 'bridge' })))
  const [ok, podOk, notJson, bridged, both, neither, badArn, wrongFlag, missing, help] = await Promise.all([
    runCli(['inject', '--task-definition', td, '--key-parameter', KEY]),
    runCli(['inject', '--pod', pod, '--image', IMAGE]),
    runCli(['inject', '--task-definition', pod]),
    runCli(['inject', '--task-definition', bridge]),
    runCli(['inject', '--task-definition', td, '--pod', pod]),
    runCli(['inject']),
    runCli(['inject', '--task-definition', td, '--key-parameter', 'key']),
    runCli(['inject', '--task-definition', td, '--key-secret', 'sw']),
    runCli(['inject', '--task-definition', join(dir, 'nope.json')]),
    runCli(['help', 'inject']),
  ])
  t.equal(ok.code, 0)
  t.equal(JSON.parse(ok.stdout).containerDefinitions[2].name, AGENT_CONTAINER)
  t.match(ok.stderr, new RegExp(`^sidewatch-agent inject: note: image ${DEFAULT_IMAGE.replace(/\./g, '\\.')} is the tag of a local build`, 'm'))
  t.equal(podOk.code, 0)
  t.equal((parseYaml(podOk.stdout) as any).spec.initContainers[0].image, IMAGE)
  const oneLine = (r: { code: number | null, stdout: string, stderr: string }, code: string, message: RegExp, what: string): void => {
    t.equal(r.code, 2, `${what}: exit 2`)
    t.equal(r.stdout, '', `${what}: nothing on stdout`)
    t.match(r.stderr, new RegExp(`^sidewatch-agent: ${code}: ${message.source}[^\\n]*\\n$`), what)
  }
  oneLine(notJson, 'SW_ERR_TASK_DEFINITION', /\S+pod\.yaml is not JSON: /, 'not JSON')
  oneLine(bridged, 'SW_ERR_TASK_DEFINITION', /networkMode is "bridge"/, 'bridge')
  oneLine(both, 'SW_ERR_USAGE', /give one of --task-definition FILE or --pod FILE/, 'both')
  oneLine(neither, 'SW_ERR_USAGE', /give one of/, 'neither')
  oneLine(badArn, 'SW_ERR_USAGE', /--key-parameter "key" is not an SSM parameter ARN/, 'bad ARN')
  oneLine(wrongFlag, 'SW_ERR_USAGE', /--key-secret is for --pod/, 'a pod flag with a task definition')
  oneLine(missing, 'SW_ERR_USAGE', /cannot read \S+nope\.json: ENOENT/, 'no such file')
  t.equal(help.code, 0)
  t.match(help.stdout, /--task-definition FILE/)
})
