/**
 * @sidewatch/node-asm: in-process security monitoring for Node.js.
 *
 *   node -r @sidewatch/node-asm/register app.js          (CommonJS)
 *   node --import @sidewatch/node-asm/register app.mjs   (ESM)
 *   require('@sidewatch/node-asm').start()                (from code, as early as possible)
 *
 * start() patches the instrumented modules, subscribes the reporter to their channels and
 * connects to the agent. It is idempotent (one SDK per process, even with two copies of the
 * package) and never throws: on an internal error the app runs on without the SDK.
 */
import { hostname } from 'node:os'
import type { Mode } from '@sidewatch/proto'
import { readConfig, type StartOptions } from './config'
import { DependencyInventory } from './dependencies'
import { flushOnFatalSignals } from './exit-signals'
import { Instrumentations } from './hook'
import { INSTRUMENTATIONS } from './instrumentation-list'
import { observe } from './observe'
import { protect } from './protect'
import { setRedactedNames } from './redact'
import type { Identity } from './reporter/envelope'
import { Reporter, type ReporterStats } from './reporter/reporter'
import { internalError, internalErrorCount, warnOnce } from './warn'

export type { StartOptions } from './config'
export type { ReporterStats } from './reporter/reporter'
export { CHANNEL_NAMES, type ChildProcessContext, type ChildProcessMethod, type RequestContext, type RequestInput } from './channels'
export { currentRequest } from './request-context'
export { SDK_ERROR_CODES, SdkError, isSdkError, BlockedError, type SdkErrorCode } from './errors'
export { VERSION } from './version'

export interface SdkStats extends ReporterStats {
  /** SDK failures caught before they reached the application. */
  internal_errors: number
}

export interface SidewatchHandle {
  /** False when SIDEWATCH_DISABLED is set or start-up failed. */
  readonly enabled: boolean
  /** Unpatches, unsubscribes, writes what is queued if connected, and closes the connection. */
  stop (): void
  stats (): SdkStats
  getMode (): Mode
}

const kHandle = Symbol.for('sidewatch.node-asm.handle')
type Global = typeof globalThis & { [kHandle]?: SidewatchHandle }

export function start (options?: StartOptions): SidewatchHandle {
  const existing = (globalThis as Global)[kHandle]
  if (existing !== undefined) return existing
  let handle: SidewatchHandle
  try {
    handle = create(options)
  } catch (err) {
    internalError('start', err)
    handle = inactive('monitor')
  }
  (globalThis as Global)[kHandle] = handle
  return handle
}

/** The running SDK's mode (`monitor` when it is not running). */
export function getMode (): Mode {
  return (globalThis as Global)[kHandle]?.getMode() ?? 'monitor'
}

/** The running SDK's counters (all zero when it is not running). */
export function stats (): SdkStats {
  return ((globalThis as Global)[kHandle] ?? inactive('monitor')).stats()
}

function create (options: StartOptions | undefined): SidewatchHandle {
  const { config, problems } = readConfig(options)
  if (problems.length > 0) warnOnce('SW_ERR_CONFIG', problems.join('; '))
  if (config.disabled) return inactive(config.mode)

  const identity: Identity = {
    service: config.service,
    runtime: { name: 'node', version: process.versions.node },
    pid: process.pid,
    host: hostname(),
  }
  const reporter = new Reporter(config, identity)
  const report = (event: Parameters<Reporter['enqueue']>[0]): void => { reporter.enqueue(event) }
  const observer = observe({ identity, report, httpEvents: config.httpEvents, summaryIntervalMs: config.summaryIntervalMs })
  const unprotect = protect({ identity, report, mode: () => reporter.mode })
  const instrumentations = new Instrumentations(INSTRUMENTATIONS)
  const inventory = new DependencyInventory(identity, report)
  setRedactedNames(config.redact)
  const onBeforeExit = (): void => { try { observer.flush(); reporter.beforeExit() } catch (err) { internalError('beforeExit flush', err) } }
  const onExit = (): void => { try { observer.flush(); reporter.exit() } catch (err) { internalError('exit flush', err) } }
  process.on('beforeExit', onBeforeExit)
  process.on('exit', onExit)
  const removeSignalListeners = flushOnFatalSignals(onExit)
  instrumentations.enable()
  reporter.start()
  if (config.inventory) inventory.start()

  const handle: SidewatchHandle = {
    enabled: true,
    stop () {
      try {
        inventory.stop()
        instrumentations.disable()
        unprotect()
        observer.stop()
        process.off('beforeExit', onBeforeExit)
        process.off('exit', onExit)
        removeSignalListeners()
        reporter.stop()
      } catch (err) {
        internalError('stop', err)
      }
      if ((globalThis as Global)[kHandle] === handle) delete (globalThis as Global)[kHandle]
    },
    stats: () => ({ ...reporter.stats(), internal_errors: internalErrorCount() }),
    getMode: () => reporter.mode,
  }
  return handle
}

function inactive (mode: Mode): SidewatchHandle {
  const handle: SidewatchHandle = {
    enabled: false,
    stop () {
      if ((globalThis as Global)[kHandle] === handle) delete (globalThis as Global)[kHandle]
    },
    stats: () => ({ queued: 0, inflight: 0, sent: 0, acked: 0, rejected: 0, dropped: 0, reconnects: 0, connected: false, internal_errors: internalErrorCount() }),
    getMode: () => mode,
  }
  return handle
}
