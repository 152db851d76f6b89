/**
 * What the sidecar is, once, for every way of deploying it (the ECS task definition, the
 * Kubernetes pod spec, `inject`, the examples and docs/deploy.md): its container name, image,
 * resources, how it listens, how its health is checked, and what the app containers get.
 */
import { DEFAULT_TCP_LISTEN } from '../config'
import { AGENT_VERSION } from '../version'

export const AGENT_CONTAINER = 'sidewatch-agent'

/**
 * The image `docker build -f packages/agent/Dockerfile -t sidewatch-agent:VERSION .` makes.
 * A task pulls from a registry: push it there and pass its address with --image.
 */
export const DEFAULT_IMAGE = `sidewatch-agent:${AGENT_VERSION}`

/** Where the SDKs reach the agent: the task's containers share one loopback (awsvpc, one pod). */
export const AGENT_ADDRESS = DEFAULT_TCP_LISTEN

/** The health and metrics server, on loopback only: the health check runs inside the container. */
export const METRICS_ADDRESS = '127.0.0.1:9464'

/** The agent's flags after `sidewatch-agent run` (the image's entry point). */
export const AGENT_COMMAND = ['--listen', AGENT_ADDRESS, '--metrics', METRICS_ADDRESS]

/** Events into the embedded store in the container (search it with ECS Exec) and as JSON lines on stdout (the log driver). */
export const DEFAULT_SINKS = ['sqlite:/var/lib/sidewatch/sidewatch.db', 'jsonl:-']

/** The health check: GET /healthz on the metrics address; exit 0 on 200. Node is in the image, curl is not. */
export const HEALTH_CHECK_SCRIPT =
  `require('http').get('http://${METRICS_ADDRESS}/healthz',(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`
export const HEALTH_CHECK_COMMAND = ['node', '-e', HEALTH_CHECK_SCRIPT]

/** CPU units (1024 = one vCPU) and MiB: reserved for the agent, and its hard memory limit. */
export const AGENT_CPU_UNITS = 128
export const AGENT_MEMORY_RESERVATION_MIB = 128
export const AGENT_MEMORY_LIMIT_MIB = 256

/** The SDK's preload, added to NODE_OPTIONS of app containers. */
export const SDK_PRELOAD = '-r @sidewatch/node-asm/register'

/** NODE_OPTIONS with the SDK's preload added once (kept when it is already there, in either spelling). */
export function withSdkPreload (nodeOptions: string | undefined): string {
  const current = (nodeOptions ?? '').trim()
  if (/(^|\s)(-r|--require|--import)[ =]@sidewatch\/node-asm\/register(\s|$)/.test(current)) return current
  return current === '' ? SDK_PRELOAD : `${current} ${SDK_PRELOAD}`
}

/** An SSM Parameter Store ARN, as `secrets[].valueFrom` takes it. */
export const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]+$/

/** The environment variable the deployment key arrives in (the https sink, --cloudtrail-listen). */
export const KEY_ENV = 'SIDEWATCH_KEY'
