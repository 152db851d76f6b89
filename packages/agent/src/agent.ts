/**
 * The agent assembled: sinks, ingest listeners, the network flow source (live capture, or
 * /proc/net polling), the metrics server and the stats reporter.
 * `startAgent` is the programmatic API behind `sidewatch-agent run`.
 */
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { defaultConfig, type AgentConfig } from './config'
import { AgentError } from './errors'
import { Ingest } from './ingest/ingest'
import { parseListenSpec } from './ingest/listen-spec'
import { createLogger, logLevelFromEnv, type Logger } from './log'
import { AgentMetrics } from './metrics'
import { parseMetricsAddress, startMetricsServer, type MetricsServer } from './metrics-server'
import { startFlowSource, type FlowSource } from './net/capture/flow-source'
import type { SidewatchEvent } from '@sidewatch/proto'
import { AlertingWriter, type EventWriter } from './rules/alerting-writer'
import { missingRights, rightsFromStatus } from './privileges'
import { EventBridgeListener } from './cloudtrail/eventbridge-listener'
import { TaskIdentity } from './identity/task-identity'
import { deploymentKey } from './sinks/https'
import { ExeBaseline } from './proc/exe-baseline'
import { ProcScanner } from './proc/proc-scanner'
import { SshdWatch } from './proc/sshd-watch'
import { SinkPump } from './spool/sink-pump'
import { Spool } from './spool/spool'
import { SpoolWriter } from './spool/spool-writer'
import { RulePipeline, type RuleLoad } from './rules/rule-pipeline'
import { openSink } from './sinks/open'
import { parseSinkSpecs, redactSinkSpec } from './sinks/parse'
import type { Sink, SinkContext } from './sinks/sink'
import { SinkSet } from './sinks/sink-set'
import { StatsReporter } from './stats'
import { AGENT_VERSION } from './version'

export interface StartOptions {
  /** Defaults to JSON on stderr at SIDEWATCH_LOG_LEVEL. */
  log?: Logger
}

export interface RunningAgent {
  /** Ingest addresses as bound, e.g. `tcp://127.0.0.1:41234`, `unix:/tmp/sidewatch/agent.sock`. */
  readonly addresses: string[]
  /** `HOST:PORT` of the metrics server, when one runs. */
  readonly metricsAddress: string | undefined
  /** Reads the rule files again; keeps the running rules when the new ones have problems (returned). */
  reloadRules (): RuleLoad
  /** Stops accepting, closes connections, writes a last agent.stats event and flushes every sink. */
  close (): Promise<void>
}

/**
 * The old generation grows to 1.5 times what the last full collection left before the next one,
 * instead of V8's own choice (up to 4 times for a small heap that collects quickly). Batches in
 * flight are promoted and die there, waiting for that collection: above its live data, that was
 * most of the agent's RSS. In the shipping benchmark (replay clients, 2 runs each): max RSS nats
 * 187-202 -> 147-151 MiB, https 170-187 -> 166-173, both sinks 205-220 -> 176-182; agent CPU
 * +0.5-1 µs per event (8-12 full collections a run instead of 3-4, mostly on V8's helper
 * threads). A process started with its own --heap-growing-percent keeps it. V8's flags are the
 * whole process's: an application that embeds the agent gets this too.
 */
function boundHeapGrowth (): void {
  if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) setFlagsFromString('--heap-growing-percent=50')
}

/** Starts an agent. Missing config keys take their defaults. Throws AgentError on bad config. */
export async function startAgent (config: Partial<AgentConfig> = {}, options: StartOptions = {}): Promise<RunningAgent> {
  const cfg: AgentConfig = { ...defaultConfig(), ...config }
  boundHeapGrowth()
  const log = options.log ?? createLogger(logLevelFromEnv(process.env))
  const listen = cfg.listen.map(parseListenSpec)
  const sinkSpecs = parseSinkSpecs(cfg.sinks)
  const metricsAt = cfg.metrics === undefined ? undefined : parseMetricsAddress(cfg.metrics)
  const metrics = new AgentMetrics()
  const started = Date.now()

  log.info({
    version: AGENT_VERSION,
    config: { ...cfg, token: undefined, sinks: cfg.sinks.map(redactSinkSpec) },
    token_configured: cfg.token !== undefined,
  }, 'starting')
  if (cfg.token === undefined) {
    log.warn('no token configured: any local process that can reach the listen addresses can report events')
  }

  const sinkCtx: SinkContext = {
    log,
    onError: (sink, err) => {
      metrics.sinkError(sink)
      log.error({ code: 'SW_ERR_SINK', sink, err }, 'sink write failed')
    },
  }
  const opened: Sink[] = []
  const sinks = new SinkSet(opened, log)
  // Rules first: a rule file with problems is a configuration error, found before anything listens.
  const dir = dataDir(cfg)
  const rules = new RulePipeline({ paths: cfg.rules, noDefaults: !cfg.defaultRules, statePath: join(dir, 'rules-state.json') })
  if (rules.stateError !== undefined) log.warn({ code: 'SW_ERR_RULES' }, rules.stateError)
  log.info({ rules: rules.rules, files: cfg.rules }, 'rules loaded')
  // Every source writes into the durable spool; one pump per sink reads it at that sink's pace.
  let spool: Spool | undefined
  const pumps: SinkPump[] = []
  let spooled: SpoolWriter | undefined
  // The task's identity on every event: before the rules (evt.task.*), and again on the way into
  // the spool for what the agent makes itself (alerts, agent.stats).
  const identity = TaskIdentity.fromEnv(process.env, log)
  const stamp = (events: readonly SidewatchEvent[]): readonly SidewatchEvent[] => identity === undefined ? events : identity.stamp(events)
  const spoolWrite = { write: async (events: readonly SidewatchEvent[]) => { await (spooled as SpoolWriter).write(stamp(events)) } }
  const rulesIn = new AlertingWriter(spoolWrite, rules, log)
  const store = { write: (events: readonly SidewatchEvent[]) => rulesIn.write(stamp(events)) }
  let ingest: Ingest | undefined
  let metricsServer: MetricsServer | undefined
  let flows: FlowSource | undefined
  let scanner: { stop: () => void } | undefined
  let cloudtrail: EventBridgeListener | undefined
  const stats = new StatsReporter(metrics, spoolWrite, log)

  const stop = async (): Promise<void> => {
    await metricsServer?.close()
    await ingest?.close()
    await flows?.close()
    scanner?.stop()
    await cloudtrail?.close()
    for (const pump of pumps) await pump.stop()
    await sinks.close()
    spool?.close()
  }

  try {
    for (const spec of sinkSpecs) opened.push(await openSink(spec, sinkCtx))
    spool = Spool.open(join(dir, 'spool'), { sinks: opened.map((sink) => sink.name), maxBytes: cfg.spoolMaxBytes })
    if (spool.stats().torn > 0) log.warn({ code: 'SW_ERR_SPOOL', torn: spool.stats().torn }, 'the spool ended in a torn record (the agent was killed mid-write); it was cut off')
    const backlog = spool.stats().backlog
    if (Object.values(backlog).some((n) => n > 0)) log.info({ backlog }, 'sending what the spool held from before')
    for (const sink of opened) {
      pumps.push(new SinkPump(spool, sink, { log, onError: (name) => { metrics.sinkError(name) } }))
    }
    spooled = new SpoolWriter(spool, pumps, log, cfg.spoolMaxBytes)
    const spoolCounters = spooled
    stats.addComponents(() => ({ spool: spoolCounters.counters() }))
    for (const pump of pumps) pump.start()
    // Before the first event: the SDKs connect once the agent is healthy, i.e. after this.
    await identity?.refresh()
    if (identity !== undefined) log.info({ task: identity.task, containers: Object.fromEntries(identity.containers) }, 'task identity')
    ingest = await Ingest.start({
      listen,
      token: cfg.token,
      mode: cfg.mode,
      maxFrameSize: cfg.maxFrameSize,
      maxConnections: cfg.maxConnections,
      maxBatch: cfg.maxBatch,
      handshakeTimeoutMs: cfg.handshakeTimeoutMs,
      socketGroup: cfg.socketGroup,
    }, store, metrics, log)
    // Capture and /proc/net polling both off: no flow source at all (nothing to log or count).
    if (cfg.capture !== 'off' || cfg.proc === 'on') {
      try {
        flows = await startFlowSource({
          capture: cfg.capture,
          proc: cfg.proc,
          idleTimeoutS: cfg.flowIdleTimeoutMs / 1000,
          write: (events) => store.write(events),
          log,
        })
        const source = flows
        stats.addComponents(() => source.counters())
        metrics.flowSource(() => source.counters())
      } catch (err) {
        // Flows are one source among several: without them the agent still serves the SDKs.
        log.error({ code: 'SW_ERR_CAPTURE', err }, 'network flows could not start; the agent runs without them')
      }
    }
    if (cfg.proc === 'on') scanner = startScanner(cfg, dir, store, identity, stats, log)
    if (cfg.cloudtrailListen !== undefined) {
      const at = new URL(cfg.cloudtrailListen.replace(/^tcp:/, 'http:'))
      cloudtrail = await EventBridgeListener.start({ host: at.hostname.replace(/^\[|\]$/g, ''), port: Number(at.port), key: cloudtrailKey(), write: (events) => store.write(events), log })
      const listener = cloudtrail
      stats.addComponents(() => ({ cloudtrail: listener.stats }))
      log.info({ address: cloudtrail.address }, 'cloudtrail listening')
    }
    if (metricsAt !== undefined) {
      metricsServer = await startMetricsServer(metricsAt, metrics, () => ({
        version: AGENT_VERSION, uptime_s: Math.round((Date.now() - started) / 1000), connections: metrics.connections,
      }), log)
    }
  } catch (err) {
    await stop()
    throw err
  }
  stats.start(cfg.statsIntervalMs)
  stats.addComponents(() => ({ rules: rules.stats }))
  rules.start(1000, (alerts) => {
    spoolWrite.write(alerts as never).catch((err: unknown) => log.error({ code: 'SW_ERR_SPOOL', err }, 'could not store alerts'))
  })
  reportRights(cfg, log)
  const addresses = ingest.addresses
  log.info({ addresses, sinks: opened.map((s) => s.name) }, 'ready')

  let closing: Promise<void> | undefined
  return {
    addresses,
    metricsAddress: metricsServer?.address,
    reloadRules: () => {
      const result = rules.reload()
      if (result.problems.length > 0) {
        log.error({ code: 'SW_ERR_RULES', problems: result.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`) }, 'the new rules have problems; the running rules stay')
      } else {
        log.info({ rules: result.rules, files: result.files }, 'rules reloaded')
      }
      return result
    },
    close: () => {
      closing ??= (async () => {
        await ingest?.close()
        await flows?.close()
        scanner?.stop()
        await cloudtrail?.close()
        const last = rules.stop()
        if (last.length > 0) await spoolWrite.write(last as never).catch((err: unknown) => log.error({ code: 'SW_ERR_SPOOL', err }, 'could not store the last alerts'))
        await stats.stop()
        // Up to 3 s to hand the sinks what is spooled; the rest is sent at the next start.
        await Promise.all(pumps.map((pump) => pump.stop(SHUTDOWN_DRAIN_MS)))
        await sinks.close()
        spool?.close()
        await metricsServer?.close()
        log.info('stopped')
      })()
      return closing
    },
  }
}

/**
 * The /proc scanner of the task's PID namespace: process.start/exit and login.ssh events into
 * the same path as every other source; the executable baseline kept in the data directory;
 * container names from the ECS task metadata when the agent runs in a task.
 */
function startScanner (cfg: AgentConfig, dir: string, store: EventWriter, identity: TaskIdentity | undefined, stats: StatsReporter, log: Logger): { stop: () => void } | undefined {
  const names = identity?.ecs === true ? identity : undefined
  let scanner: ProcScanner
  try {
    scanner = new ProcScanner({
      intervalMs: cfg.procIntervalMs,
      baseline: new ExeBaseline({ file: join(dir, 'exe-baseline.json'), learnMs: cfg.exeLearnMs, allowNames: cfg.allowExecutables, allowSha256: cfg.allowSha256 }),
      containerName: names === undefined ? undefined : (id) => names.containerName(id),
      envelope: { host: hostname() },
    })
  } catch (err) {
    log.error({ code: 'SW_ERR_PROC', err }, 'process scanning could not start; the agent runs without it')
    return undefined
  }
  const write = (events: readonly unknown[]): void => {
    if (events.length === 0) return
    store.write(events as never).catch((err: unknown) => log.error({ code: 'SW_ERR_SPOOL', err }, 'could not store process events'))
  }
  // SSH servers installed, running or listening in a container: checked after the first scan and
  // every SSHD_CHECK_MS, reported when that changes.
  const sshd = new SshdWatch(scanner, { host: hostname() })
  let first = true
  scanner.start((events) => {
    write(events)
    if (first) { first = false; write(sshd.check()) }
  }, (err) => { log.warn({ code: 'SW_ERR_PROC', err }, 'a /proc scan failed; the next one runs as usual') })
  const sshdTimer = setInterval(() => { write(sshd.check()) }, SSHD_CHECK_MS).unref()
  stats.addComponents(() => ({ proc: scanner.counters() }))
  log.info({ interval_ms: cfg.procIntervalMs, container_names: names !== undefined }, 'scanning processes')
  return { stop: () => { clearInterval(sshdTimer); void scanner.stop() } }
}

/** The deployment key EventBridge must present (SIDEWATCH_KEY or SIDEWATCH_KEY_FILE). */
function cloudtrailKey (): string {
  try {
    return deploymentKey()
  } catch (err) {
    throw new AgentError('SW_ERR_CONFIG', `--cloudtrail-listen needs the deployment key that callers present, in SIDEWATCH_KEY or a file named by SIDEWATCH_KEY_FILE (${(err as Error).message})`)
  }
}

/** How often the scanner's view is checked for SSH servers. */
const SSHD_CHECK_MS = 10_000

/** How long a stopping agent keeps sending what is spooled (within run's 5 s deadline). */
const SHUTDOWN_DRAIN_MS = 3000

/** Where durable state goes: the configured directory, else beside the first file sink. */
/** Says once, at start-up, what the agent's rights let each source see (privileges.ts). */
function reportRights (cfg: AgentConfig, log: Logger): void {
  let status: string
  try {
    status = readFileSync('/proc/self/status', 'utf8')
  } catch {
    return
  }
  const rights = rightsFromStatus(status, process.getuid?.() ?? -1)
  if (rights === undefined) return
  const missing = missingRights(rights, { capture: cfg.capture !== 'off', proc: cfg.proc === 'on' })
  log.info({ uid: rights.uid, cap_net_raw: rights.netRaw, cap_sys_ptrace: rights.sysPtrace, missing: missing.map((m) => m.right) }, 'rights')
  for (const m of missing) log.warn({ code: 'SW_ERR_RIGHTS', source: m.source, right: m.right }, `without ${m.right}: ${m.effect}`)
}

function dataDir (cfg: AgentConfig): string {
  if (cfg.dataDir !== undefined) return cfg.dataDir
  for (const spec of cfg.sinks) {
    const m = /^(?:sqlite|jsonl):(.+)$/.exec(spec)
    if (m !== null && m[1] !== '-') return join(dirname(m[1] as string), 'sidewatch-data')
  }
  // No file sink to sit beside: a directory of this user's (other users' agents have their own).
  return join(tmpdir(), `sidewatch-data-${process.getuid?.() ?? 'user'}`)
}
