/**
 * `sidewatch-agent collect`: a central store for many agents' https sinks (see
 * collect/collector.ts). Deployment keys come from SIDEWATCH_COLLECT_KEYS (comma-separated) or
 * a file of one key per line (--keys-file); TLS from --tls-cert/--tls-key, which any listener
 * off loopback must have.
 */
import { readFileSync } from 'node:fs'
import { AgentError } from '../errors'
import { isLoopback, parseListenSpec } from '../ingest/listen-spec'
import { parseCommandArgs } from './args'
import type * as CollectorModule from '../collect/collector'
import type * as LogModule from '../log'
import type * as OpenModule from '../sinks/open'
import type * as ParseModule from '../sinks/parse'
import type * as SinkSetModule from '../sinks/sink-set'
import type * as ServeModule from '../console/serve'

export const COLLECT_USAGE = `Usage: sidewatch-agent collect [--listen tcp://HOST:PORT] [--sink SPEC]... [--keys-file FILE]
                              [--tls-cert FILE --tls-key FILE] [--console 127.0.0.1:PORT] [--console-token TOKEN]

Receives the batches of agents' https sinks (POST /v1/events, Authorization: Bearer KEY, gzip
JSON) and stores them in its own sinks, once per event id.
  --listen tcp://HOST:PORT  default tcp://127.0.0.1:7879; any host but loopback needs TLS
  --sink SPEC               jsonl:FILE, sqlite:FILE, nats://... (repeatable; default sqlite:./sidewatch-central.db)
  --keys-file FILE          accepted deployment keys, one per line (or SIDEWATCH_COLLECT_KEYS=a,b)
  --tls-cert, --tls-key     PEM certificate and key for https
  --console HOST:PORT       also serve the triage console over the first sqlite sink, on loopback
                            (see sidewatch-agent console --help); prints its sign-in link
  --console-token TOKEN     the console's sign-in token (default SIDEWATCH_CONSOLE_TOKEN, else made up)
`

export const COLLECT_OPTIONS = {
  listen: { type: 'string' },
  sink: { type: 'string', multiple: true },
  'keys-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  console: { type: 'string' },
  'console-token': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function collectCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('collect', { args: argv, options: COLLECT_OPTIONS })
  if (values.help === true) { process.stdout.write(COLLECT_USAGE); return }
  const listen = parseListenSpec(values.listen ?? 'tcp://127.0.0.1:7879')
  if (listen.kind !== 'tcp') throw new AgentError('SW_ERR_LISTEN', 'collect listens on tcp://HOST:PORT')
  const keys = readKeys(values['keys-file'])
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new AgentError('SW_ERR_USAGE', '--tls-cert and --tls-key go together (see sidewatch-agent collect --help)')
  const tls = values['tls-cert'] === undefined ? undefined : { cert: readPem(values['tls-cert'], '--tls-cert'), key: readPem(values['tls-key'] as string, '--tls-key') }
  if (tls === undefined && !isLoopback(listen.host)) throw new AgentError('SW_ERR_LISTEN', `collect on ${listen.host} needs --tls-cert and --tls-key: deployment keys and events must not cross a network in the clear`)
  const serve = values.console === undefined ? undefined : require('../console/serve') as typeof ServeModule
  const consoleAddress = serve?.parseConsoleAddress(values.console as string, '--console')
  const consoleToken = serve?.consoleToken(values['console-token'], process.env)

  const { createLogger, logLevelFromEnv } = require('../log') as typeof LogModule
  const { parseSinkSpecs } = require('../sinks/parse') as typeof ParseModule
  const { openSink } = require('../sinks/open') as typeof OpenModule
  const { SinkSet } = require('../sinks/sink-set') as typeof SinkSetModule
  const { Collector } = require('../collect/collector') as typeof CollectorModule
  const log = createLogger(logLevelFromEnv(process.env))
  const specs = parseSinkSpecs(values.sink ?? ['sqlite:./sidewatch-central.db'])
  const consoleDb = specs.find((s) => s.type === 'sqlite')?.path
  if (serve !== undefined && consoleDb === undefined) throw new AgentError('SW_ERR_USAGE', '--console serves the console over a sqlite: sink; add one with --sink sqlite:FILE (see sidewatch-agent collect --help)')
  const opened = []
  for (const spec of specs) opened.push(await openSink(spec, { log, onError: (sink, err) => log.error({ code: 'SW_ERR_SINK', sink, err }, 'sink failed') }))
  const sinks = new SinkSet(opened, log)
  let collector: CollectorModule.Collector
  try {
    collector = await Collector.start({ host: listen.host, port: listen.port, keys, tls, sinks, log })
  } catch (err) {
    await sinks.close()
    throw new AgentError('SW_ERR_LISTEN_FAILED', `collect cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}`, { cause: err })
  }
  log.info({ url: `${collector.url}/v1/events`, sinks: opened.map((s) => s.name), keys: keys.length }, 'collecting')
  let consoleServer: ServeModule.RunningConsole | undefined
  if (serve !== undefined && consoleAddress !== undefined && consoleToken !== undefined) {
    try {
      consoleServer = await serve.serveConsole({ db: consoleDb as string, address: consoleAddress, token: consoleToken.token })
    } catch (err) {
      await collector.close()
      await sinks.close()
      throw err
    }
    log.info({ url: consoleServer.server.url, db: consoleDb }, 'console listening')
    process.stdout.write(`sidewatch console on ${consoleServer.server.url} over ${consoleDb as string}\nsign in: ${consoleServer.server.signInUrl}\n`)
  }
  const stop = (signal: string): void => {
    log.info({ signal, ...collector.stats }, 'shutting down')
    void (consoleServer?.close() ?? Promise.resolve()).then(() => collector.close()).then(() => sinks.close()).then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

function readKeys (file: string | undefined): string[] {
  let keys: string[]
  if (file !== undefined) {
    try {
      keys = readFileSync(file, 'utf8').split('\n').map((k) => k.trim()).filter((k) => k !== '' && !k.startsWith('#'))
    } catch (err) {
      throw new AgentError('SW_ERR_CONFIG', `cannot read --keys-file ${file}: ${(err as Error).message}`, { cause: err })
    }
  } else {
    keys = (process.env.SIDEWATCH_COLLECT_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '')
  }
  if (keys.length === 0) throw new AgentError('SW_ERR_CONFIG', 'collect needs at least one deployment key: --keys-file FILE or SIDEWATCH_COLLECT_KEYS')
  return keys
}

function readPem (file: string, flag: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new AgentError('SW_ERR_CONFIG', `cannot read ${flag} ${file}: ${(err as Error).message}`, { cause: err })
  }
}
