import type * as AgentModule from '../agent'
import { CONFIG_FILE_KEYS, DEFAULT_SINK, DEFAULT_TCP_LISTEN, resolveConfig } from '../config'
import type * as LogModule from '../log'
import { parseCommandArgs } from './args'

/** SIGTERM/SIGINT must end the process within this; past it the agent exits 1. */
const SHUTDOWN_DEADLINE_MS = 5000

export const RUN_USAGE = `Usage: sidewatch-agent run [options]

Runs the agent: accepts SDK connections, validates their events and stores them.

Options (flags override environment, environment overrides the config file):
  --config FILE            YAML or JSON config; keys: ${CONFIG_FILE_KEYS.join(', ')}
  --listen ADDR            unix:/PATH.sock or tcp://127.0.0.1:PORT; repeatable
                           (env SIDEWATCH_LISTEN, comma-separated; default ${DEFAULT_TCP_LISTEN}
                           and unix:\${SIDEWATCH_RUN_DIR:-$TMPDIR/sidewatch}/agent.sock)
  --token TOKEN            token clients must present (env SIDEWATCH_TOKEN; prefer the env)
  --socket-group GROUP     a group (name or gid) that may connect to the unix sockets too: they
                           become 0660, a directory made for them 0750 (env SIDEWATCH_SOCKET_GROUP;
                           default: the agent's user only, 0600 and 0700)
  --sink SPEC              jsonl:FILE, jsonl:- (stdout), sqlite:FILE, nats://HOST:PORT or
                           https://HOST/PATH (key from SIDEWATCH_KEY); repeatable
                           (env SIDEWATCH_SINKS, comma-separated; default ${DEFAULT_SINK})
  --capture auto|off|IFACE capture packet headers and record every TCP/UDP flow as a net.flow
                           event, attributed to the local process owning the socket (default
                           auto: the task ENI from ECS task metadata, else the default-route
                           interface). Without capture (off, no CAP_NET_RAW, libpcap failing)
                           connections are polled from /proc/net/tcp* instead: end "poll", no
                           packet or byte counts; the log says so once (SW_ERR_NO_CAPTURE)
  --flow-idle-timeout S    a flow quiet this long ends with a record (default 60; 500ms, 2m)
  --proc on|off            scan /proc of the task's PID namespace (default on): process.start
                           and process.exit with executable SHA-256, user, tty, container;
                           login.ssh for SSH sessions (config key proc_interval, default 100ms);
                           off also stops the /proc/net polling above
  --rules FILE|DIR         your rule files, after the shipped pack (repeatable; env SIDEWATCH_RULES,
                           comma-separated; config keys rules, default_rules: false to leave the
                           pack out). SIGHUP reloads them; broken new rules leave the old running
  --data-dir DIR           what must outlive the agent (learned rule values); default beside the
                           first file sink (env SIDEWATCH_DATA_DIR)
  --cloudtrail-listen tcp://HOST:PORT
                           take CloudTrail records from EventBridge (POST /v1/cloudtrail,
                           Authorization: Bearer SIDEWATCH_KEY); off unless given
  --metrics HOST:PORT      serve /healthz and /metrics (off unless given)
  -h, --help               this help

Logs are JSON lines on stderr; SIDEWATCH_LOG_LEVEL sets the level (default info).
SIGTERM or SIGINT stops the agent: connections are closed and sinks flushed within 5 s.
SIGHUP reloads the rule files.
`

/** The flags of `run` (docs/configuration.md documents each; a test checks that it does). */
export const RUN_OPTIONS = {
  config: { type: 'string' },
  listen: { type: 'string', multiple: true },
  token: { type: 'string' },
  sink: { type: 'string', multiple: true },
  capture: { type: 'string' },
  'flow-idle-timeout': { type: 'string' },
  rules: { type: 'string', multiple: true },
  'data-dir': { type: 'string' },
  'socket-group': { type: 'string' },
  'cloudtrail-listen': { type: 'string' },
  proc: { type: 'string' },
  metrics: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function runCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('run', { args: argv, options: RUN_OPTIONS })
  if (values.help === true) { process.stdout.write(RUN_USAGE); return }
  const config = resolveConfig(values, process.env)
  // Loaded once the command line is known to be good, so usage errors answer at once.
  const { createLogger, logLevelFromEnv } = require('../log') as typeof LogModule
  const { startAgent } = require('../agent') as typeof AgentModule
  const log = createLogger(logLevelFromEnv(process.env))
  const agent = await startAgent(config, { log })

  let stopping = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal during shutdown; exiting now')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'shutting down')
    const deadline = setTimeout(() => {
      log.error({ signal, deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; forcing exit')
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS)
    agent.close().then(() => {
      clearTimeout(deadline)
      process.exit(0)
    }, (err: unknown) => {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP' }, 'reloading the rules')
    agent.reloadRules()
  })
}
