/**
 * `sidewatch-agent inject --task-definition FILE | --pod FILE`: prints the task definition or
 * pod spec with the sidecar added and the app containers wired to it (deploy/). The result goes
 * to stdout, what the user must still know or do to stderr, so
 * `sidewatch-agent inject --task-definition td.json > td.sw.json` is the whole adoption step.
 */
import { readFileSync } from 'node:fs'
import { AgentError } from '../errors'
import { injectTaskDefinition, parseTaskDefinition } from '../deploy/ecs-inject'
import { formatPodDocuments, injectPods, parsePodDocuments } from '../deploy/pod-inject'
import { AGENT_CONTAINER, DEFAULT_IMAGE } from '../deploy/sidecar'
import { checkSinks } from '../config-values'
import { parseCommandArgs } from './args'

export const INJECT_USAGE = `Usage: sidewatch-agent inject --task-definition FILE [--image IMAGE] [--key-parameter ARN] [options]
       sidewatch-agent inject --pod FILE [--image IMAGE] [--key-secret NAME[:KEY]] [--cluster NAME] [options]

Prints the ECS task definition (JSON, as register-task-definition takes it or
describe-task-definition prints it) or the Kubernetes pod (YAML or JSON: a Pod, or a Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job or CronJob) with the ${AGENT_CONTAINER} sidecar added
and the app containers wired to it. Injecting into the output again changes nothing. FILE - reads
stdin. Notes on what is left to do go to stderr.

  --task-definition FILE  an ECS task definition (networkMode awsvpc)
  --pod FILE              a Kubernetes pod or workload
  --image IMAGE           the agent's image (default: the one already injected, else ${DEFAULT_IMAGE})
  --key-parameter ARN     ECS: SSM Parameter Store ARN of the deployment key (secrets valueFrom)
  --key-secret NAME[:KEY] Kubernetes: the Secret holding the deployment key (KEY default "key")
  --cluster NAME          Kubernetes: the cluster name events carry (SIDEWATCH_CLUSTER)
  --sink SPEC             the agent's sinks, repeatable (default sqlite in the container and
                          jsonl:- to the log driver)
  --app NAME              wire only this container to the agent, repeatable (default: the ones
                          wired before, else every container)
  -h, --help              this help

What changes: the task gets pidMode "task" (the pod shareProcessNamespace: true); the agent
container is non-essential with its own CPU and memory, a health check on /healthz, the key from
SSM (or a Secret); each app container gets NODE_OPTIONS=-r @sidewatch/node-asm/register,
SIDEWATCH_AGENT=tcp://127.0.0.1:7878 and waits for the agent to be healthy. See docs/deploy.md.
`

export const INJECT_OPTIONS = {
  'task-definition': { type: 'string' },
  pod: { type: 'string' },
  image: { type: 'string' },
  'key-parameter': { type: 'string' },
  'key-secret': { type: 'string' },
  cluster: { type: 'string' },
  sink: { type: 'string', multiple: true },
  app: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const

export async function injectCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('inject', { args: argv, options: INJECT_OPTIONS })
  if (values.help === true) { process.stdout.write(INJECT_USAGE); return }
  const taskFile = values['task-definition']
  const podFile = values.pod
  if ((taskFile === undefined) === (podFile === undefined)) {
    throw new AgentError('SW_ERR_USAGE', 'give one of --task-definition FILE or --pod FILE (see sidewatch-agent inject --help)')
  }
  const sinks = values.sink === undefined ? undefined : checkSinks(values.sink)
  if (taskFile !== undefined) {
    for (const flag of ['key-secret', 'cluster'] as const) {
      if (values[flag] !== undefined) throw new AgentError('SW_ERR_USAGE', `--${flag} is for --pod; a task definition takes the key with --key-parameter ARN`)
    }
    const input = parseTaskDefinition(readInput(taskFile), taskFile === '-' ? 'stdin' : taskFile)
    const { output, notes } = injectTaskDefinition(input, { image: values.image, keyParameter: values['key-parameter'], sinks, apps: values.app })
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
    printNotes(notes)
    return
  }
  if (values['key-parameter'] !== undefined) throw new AgentError('SW_ERR_USAGE', '--key-parameter is for --task-definition; a pod takes the key from a Secret with --key-secret NAME[:KEY]')
  const file = podFile as string
  const parsed = parsePodDocuments(readInput(file), file === '-' ? 'stdin' : file)
  const { output, notes } = injectPods(parsed, { image: values.image, keySecret: values['key-secret'], cluster: values.cluster, sinks, apps: values.app })
  process.stdout.write(formatPodDocuments(output))
  printNotes(notes)
}

function readInput (file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    throw new AgentError('SW_ERR_USAGE', `cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`)
  }
}

function printNotes (notes: string[]): void {
  for (const note of notes) process.stderr.write(`sidewatch-agent inject: note: ${note}\n`)
}
