// examples/ecs/task-definition.json and examples/eks/pod.yaml against the shapes ECS and
// Kubernetes document (required keys, types, the references between containers), against what
// `sidewatch-agent run` serves (the agent's flags start a real agent whose /healthz the health
// check command answers from), and against `inject` (the examples are its output).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { INJECT_USAGE } from '../src/commands/inject'
import { injectTaskDefinition } from '../src/deploy/ecs-inject'
import { injectPods, parsePodDocuments } from '../src/deploy/pod-inject'
import { AGENT_CONTAINER, HEALTH_CHECK_COMMAND, METRICS_ADDRESS, SSM_PARAMETER_ARN } from '../src/deploy/sidecar'
import { KUBERNETES_CLUSTER_ENV, KUBERNETES_ENV } from '../src/identity/task-identity'
import { cleanEnv, spawnAgent, tempDir } from './helpers/agent'

const ROOT = resolve(__dirname, '..', '..', '..')
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const ECS = JSON.parse(read('examples/ecs/task-definition.json')) as Record<string, any>
const EKS = parseYaml(read('examples/eks/pod.yaml')) as Record<string, any>
const IMAGE = '111122223333.dkr.ecr.us-west-2.amazonaws.com/sidewatch-agent:0.1.0'

/** Fargate's task sizes: cpu units → the memory (MiB) each allows. */
const FARGATE_SIZES: Record<string, (mib: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
}

const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name)
  return i < 0 ? undefined : args[i + 1]
}
const envValue = (list: Array<{ name: string, value?: string }> | undefined, name: string): string | undefined => list?.find((e) => e.name === name)?.value

t.test('the ECS task definition has the documented shape', async (t) => {
  t.type(ECS.family, 'string')
  t.match(ECS.family, /^[A-Za-z0-9_-]{1,255}$/)
  t.same(ECS.requiresCompatibilities, ['FARGATE'])
  t.equal(ECS.networkMode, 'awsvpc', 'awsvpc: the containers share one loopback')
  t.equal(ECS.pidMode, 'task', 'the agent sees every container\'s processes')
  t.type(ECS.cpu, 'string')
  t.type(ECS.memory, 'string')
  t.ok(FARGATE_SIZES[ECS.cpu]?.(Number(ECS.memory)), `cpu ${ECS.cpu} with memory ${ECS.memory} is a Fargate task size`)
  t.match(ECS.executionRoleArn, /^arn:aws:iam::\d{12}:role\//, 'secrets need the execution role')
  t.ok(Array.isArray(ECS.containerDefinitions) && ECS.containerDefinitions.length >= 2)
  const names = ECS.containerDefinitions.map((c: any) => c.name)
  t.equal(new Set(names).size, names.length, 'container names are unique')
  let cpu = 0
  let memory = 0
  for (const c of ECS.containerDefinitions) {
    t.type(c.name, 'string')
    t.type(c.image, 'string')
    t.type(c.essential, 'boolean')
    for (const key of ['cpu', 'memory', 'memoryReservation']) if (c[key] !== undefined) t.type(c[key], 'number', `${c.name}.${key}`)
    for (const e of c.environment ?? []) t.same(Object.keys(e).sort(), ['name', 'value'], `${c.name}: environment entries are {name, value}`)
    for (const e of c.environment ?? []) t.type(e.value, 'string', `${c.name}: ${e.name} is a string`)
    for (const d of c.dependsOn ?? []) {
      t.ok(names.includes(d.containerName), `${c.name} depends on ${d.containerName}, a container of the task`)
      t.ok(['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'].includes(d.condition))
    }
    t.equal(c.logConfiguration?.logDriver, 'awslogs', `${c.name} logs`)
    for (const key of ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix']) t.type(c.logConfiguration?.options?.[key], 'string', `${c.name}: ${key}`)
    cpu += c.cpu ?? 0
    memory += c.memory ?? c.memoryReservation ?? 0
  }
  t.ok(cpu <= Number(ECS.cpu), `the containers' cpu (${cpu}) fits the task's`)
  t.ok(memory <= Number(ECS.memory), `the containers' memory (${memory}) fits the task's`)

  const agent = ECS.containerDefinitions.find((c: any) => c.name === AGENT_CONTAINER)
  t.equal(agent.essential, false, 'the agent stopping never stops the app')
  t.ok(agent.cpu > 0 && agent.memoryReservation > 0, 'its own CPU and memory reservation')
  t.equal(agent.healthCheck.command[0], 'CMD')
  t.same(agent.healthCheck.command.slice(1), HEALTH_CHECK_COMMAND)
  t.match(agent.healthCheck.command.join(' '), `http://${flag(agent.command, '--metrics') as string}/healthz`, 'the health check asks the address --metrics serves')
  for (const key of ['interval', 'timeout', 'retries', 'startPeriod']) t.type(agent.healthCheck[key], 'number')
  t.ok(agent.healthCheck.interval >= 5 && agent.healthCheck.interval <= 300 && agent.healthCheck.timeout >= 2 && agent.healthCheck.timeout <= 60, 'within the ranges ECS allows')
  t.same(agent.linuxParameters, { capabilities: { add: ['SYS_PTRACE'] } }, 'SYS_PTRACE, the one capability Fargate lets a task add')
  t.equal(agent.user, undefined, 'the image\'s non-root user')
  t.equal(agent.privileged, undefined)
  t.equal(agent.environment.some((e: any) => e.name === 'SIDEWATCH_KEY'), false, 'the key is never plain environment text')
  t.same(agent.secrets.map((s: any) => s.name), ['SIDEWATCH_KEY'])
  t.match(agent.secrets[0].valueFrom, SSM_PARAMETER_ARN, 'the key comes from an SSM parameter ARN')

  const apps = ECS.containerDefinitions.filter((c: any) => c.name !== AGENT_CONTAINER)
  for (const app of apps) {
    t.same(app.dependsOn.filter((d: any) => d.containerName === AGENT_CONTAINER), [{ containerName: AGENT_CONTAINER, condition: 'HEALTHY' }])
    t.match(envValue(app.environment, 'NODE_OPTIONS'), /(^|\s)-r @sidewatch\/node-asm\/register(\s|$)/)
    t.equal(envValue(app.environment, 'SIDEWATCH_AGENT'), flag(agent.command, '--listen'), 'the app reaches the agent where it listens')
  }
})

t.test('the EKS pod has the documented shape', async (t) => {
  t.equal(EKS.apiVersion, 'v1')
  t.equal(EKS.kind, 'Pod')
  t.type(EKS.metadata?.name, 'string')
  const spec = EKS.spec
  t.equal(spec.shareProcessNamespace, true)
  t.ok(Array.isArray(spec.containers) && spec.containers.length >= 1)
  const all = [...spec.containers, ...spec.initContainers]
  const names = all.map((c: any) => c.name)
  t.equal(new Set(names).size, names.length, 'container names are unique')
  for (const c of all) {
    t.match(c.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label')
    t.type(c.image, 'string')
    for (const e of c.env ?? []) {
      t.type(e.name, 'string')
      t.ok((e.value === undefined) !== (e.valueFrom === undefined), `${c.name}: ${e.name} has value or valueFrom`)
      if (e.value !== undefined) t.type(e.value, 'string', `${c.name}: ${e.name} is a string (quoted in YAML)`)
    }
    for (const m of c.volumeMounts ?? []) t.ok(spec.volumes.some((v: any) => v.name === m.name), `${c.name} mounts ${m.name}, a volume of the pod`)
  }
  const agent = spec.initContainers.find((c: any) => c.name === AGENT_CONTAINER)
  t.equal(agent.restartPolicy, 'Always', 'a native sidecar: the app starts after its startup probe')
  t.same(agent.startupProbe.exec.command, HEALTH_CHECK_COMMAND)
  t.same(agent.livenessProbe.exec.command, HEALTH_CHECK_COMMAND)
  t.match(HEALTH_CHECK_COMMAND.join(' '), `http://${flag(agent.args, '--metrics') as string}/healthz`)
  t.match(agent.resources, { requests: { cpu: String, memory: String }, limits: { memory: String } })
  t.same(agent.securityContext, { runAsNonRoot: true, runAsUser: 10001, capabilities: { drop: ['ALL'], add: ['NET_RAW', 'SYS_PTRACE'] } }, 'non-root, two capabilities')
  for (const [name, fieldPath] of Object.entries(KUBERNETES_ENV)) {
    t.same(agent.env.find((e: any) => e.name === name)?.valueFrom, { fieldRef: { fieldPath } }, `${name} from the downward API`)
  }
  t.type(envValue(agent.env, KUBERNETES_CLUSTER_ENV), 'string')
  t.match(agent.env.find((e: any) => e.name === 'SIDEWATCH_KEY')?.valueFrom, { secretKeyRef: { name: String, key: String } }, 'the key from a Secret')
  for (const app of spec.containers) {
    t.match(envValue(app.env, 'NODE_OPTIONS'), /(^|\s)-r @sidewatch\/node-asm\/register(\s|$)/)
    t.equal(envValue(app.env, 'SIDEWATCH_AGENT'), flag(agent.args, '--listen'))
  }
})

t.test('the examples are what inject makes of the app alone', async (t) => {
  const td = JSON.parse(read('examples/ecs/app-task-definition.json')) as Record<string, unknown>
  const injected = injectTaskDefinition(td, { image: IMAGE, keyParameter: 'arn:aws:ssm:us-west-2:111122223333:parameter/sidewatch/deployment-key' })
  t.same(injected.output, ECS)
  const pods = injectPods(parsePodDocuments(read('examples/eks/app-pod.yaml')), { image: IMAGE, keySecret: 'sidewatch:deployment-key', cluster: 'prod' })
  t.same(pods.output.docs, [EKS])
})

t.test('the agent runs with the example\'s flags and its health check passes, then fails once it stops', async (t) => {
  const ecsAgent = ECS.containerDefinitions.find((c: any) => c.name === AGENT_CONTAINER)
  const dir = tempDir(t)
  // The example's flags and sinks, on free ports and in a temporary directory.
  const args = (ecsAgent.command as string[]).map((a) => a.replace(/:7878$/, ':0').replace(/:9464$/, ':0'))
  const sinks = (envValue(ecsAgent.environment, 'SIDEWATCH_SINKS') as string).replace('/var/lib/sidewatch', dir)
  const agent = spawnAgent(['run', ...args, '--capture', 'off', '--proc', 'off'], { SIDEWATCH_SINKS: sinks })
  t.teardown(() => agent.stop('SIGKILL'))
  const listening = await agent.line('metrics listening', (l) => l.msg === 'metrics listening')
  const check = (): Promise<number | null> => new Promise((resolve) => {
    const [command, ...rest] = HEALTH_CHECK_COMMAND.map((a) => a.replace(METRICS_ADDRESS, String(listening.address)))
    spawn(command as string, rest, { stdio: 'ignore', env: cleanEnv() }).on('exit', resolve)
  })
  t.equal(await check(), 0, 'healthy while it runs')
  t.equal((await agent.stop()).code, 0)
  t.equal(await check(), 1, 'unhealthy once it is gone')
})

t.test('docs/deploy.md names every inject flag, downward-API variable and error code', async (t) => {
  const doc = read('docs/deploy.md')
  const flags = new Set(INJECT_USAGE.match(/--[a-z][a-z-]+/g))
  t.ok(flags.size >= 8)
  for (const f of flags) if (f !== '--help') t.match(doc, f, `${f} is documented`)
  for (const name of [...Object.keys(KUBERNETES_ENV), KUBERNETES_CLUSTER_ENV]) t.match(doc, name, `${name} is documented`)
  for (const [name, fieldPath] of Object.entries(KUBERNETES_ENV)) t.match(doc, new RegExp(`\`${name}\`[^\\n]*\`${fieldPath.replace('.', '\\.')}\``), `${name} with its field ${fieldPath}`)
  for (const code of ['SW_ERR_TASK_DEFINITION', 'SW_ERR_POD_SPEC', 'SW_ERR_TASK_METADATA']) t.match(doc, code)
})
