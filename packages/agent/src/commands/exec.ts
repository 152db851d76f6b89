/**
 * `sidewatch-agent exec [--agent ADDR] -- CMD ARGS...`: for tasks whose containers cannot share
 * the PID namespace with the agent. As a container's entry point it starts the original command
 * (same stdio, signals passed on, its exit status returned as its own) and scans that container's
 * own /proc beside it, reporting process.start/exit and login.ssh events to the task's agent
 * over the task loopback like an SDK does. It never gets in the command's way: an agent that is
 * away only means events wait (bounded) or are dropped and counted.
 */
import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import { AgentError } from '../errors'
import { parseCommandArgs } from './args'
import type * as ClientModule from '../exec/agent-client'
import type * as LogModule from '../log'
import type * as ScannerModule from '../proc/proc-scanner'

export const EXEC_USAGE = `Usage: sidewatch-agent exec [--agent ADDR] [--interval MS] -- CMD [ARGS...]

Runs CMD as the container's main process and watches that container's processes from inside it,
reporting to the agent (for tasks whose containers do not share a PID namespace).
  --agent ADDR     tcp://127.0.0.1:7878 (default; env SIDEWATCH_AGENT) or unix:/PATH.sock
  --interval MS    time between /proc scans (default 100)
The token comes from SIDEWATCH_TOKEN, the service name from SIDEWATCH_SERVICE (default: CMD's name).
CMD's exit status (or its signal) is this command's.
`

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

/** The flags of `exec` itself, before `--`. */
export const EXEC_OPTIONS = {
  agent: { type: 'string' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function execCommand (argv: string[]): Promise<void> {
  const dash = argv.indexOf('--')
  const own = dash === -1 ? argv : argv.slice(0, dash)
  const command = dash === -1 ? [] : argv.slice(dash + 1)
  const { values } = parseCommandArgs('exec', { args: own, options: EXEC_OPTIONS })
  if (values.help === true) { process.stdout.write(EXEC_USAGE); return }
  if (command.length === 0) throw new AgentError('SW_ERR_USAGE', 'exec needs the command after --, like: sidewatch-agent exec -- node server.js (see sidewatch-agent exec --help)')
  const interval = values.interval === undefined ? 100 : Number(values.interval)
  if (!Number.isInteger(interval) || interval < 10) throw new AgentError('SW_ERR_USAGE', `--interval ${JSON.stringify(values.interval)} is not a whole number of milliseconds of at least 10`)
  const address = values.agent ?? process.env.SIDEWATCH_AGENT ?? 'tcp://127.0.0.1:7878'
  if (!/^(tcp:\/\/[^/]+:\d+|unix:\/.+)$/.test(address)) throw new AgentError('SW_ERR_USAGE', `--agent ${JSON.stringify(address)} is not tcp://HOST:PORT or unix:/PATH.sock`)

  // The command first: it must start even if everything below fails.
  const child = spawn(command[0] as string, command.slice(1), { stdio: 'inherit' })
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  try {
    await started
  } catch (err) {
    throw new AgentError('SW_ERR_USAGE', `cannot run ${JSON.stringify(command[0])}: ${(err as Error).message}`, { cause: err })
  }
  for (const signal of FORWARDED) process.on(signal, () => { child.kill(signal) })

  const { createLogger, logLevelFromEnv } = require('../log') as typeof LogModule
  const { AgentClient } = require('../exec/agent-client') as typeof ClientModule
  const { ProcScanner } = require('../proc/proc-scanner') as typeof ScannerModule
  const log = createLogger(logLevelFromEnv(process.env))
  const service = process.env.SIDEWATCH_SERVICE ?? (command[0] as string).split('/').pop() ?? 'app'
  const client = new AgentClient({ address, token: process.env.SIDEWATCH_TOKEN, service, log })
  let scanner: InstanceType<typeof ProcScanner> | undefined
  try {
    scanner = new ProcScanner({ intervalMs: interval, envelope: { service, host: hostname() } })
    scanner.start((events) => { client.send(events as never) }, (err) => { log.warn({ code: 'SW_ERR_PROC', err }, 'exec: a /proc scan failed') })
  } catch (err) {
    log.error({ code: 'SW_ERR_PROC', err }, 'exec: cannot scan /proc; the command runs unwatched')
  }

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])))
  if (scanner !== undefined) {
    scanner.stop()
    try { client.send(await scanner.scan() as never) } catch { /* the last exits are best effort */ }
  }
  await client.close(2000)
  if (signal !== null) {
    for (const s of FORWARDED) process.removeAllListeners(s)
    process.kill(process.pid, signal)
    return
  }
  process.exitCode = code ?? 1
}
