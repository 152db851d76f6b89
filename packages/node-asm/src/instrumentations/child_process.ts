/**
 * child_process: wraps the seven functions that start a process and publishes each call on
 * `sidewatch:child_process:start` (before it runs) and `:end` (once its pid or failure is known).
 * It only wraps and publishes; what becomes of a call is up to the subscribers.
 *
 * The wrapper keeps the original's behaviour: same `this`, arguments, return value and thrown
 * error, same `length` and `name`, and a `util.promisify.custom` that resolves like Node's (and
 * is itself reported). A call made while another wrapped call runs on this thread (Node's exec
 * calls `module.exports.execFile`) is not reported again: the outer API is what the app used.
 */
import shimmer = require('shimmer')
import { errorMonitor } from 'node:events'
import { promisify } from 'node:util'
import { channels, publishSafely, type ChildProcessContext, type ChildProcessMethod } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { internalError } from '../warn'
import { blockedResult } from './child_process-blocked'
import { describeCall } from './child_process-command'
import { execFileSyncVia, execSyncVia, isKnownNodeSource, type SpawnSyncResult } from './child_process-sync'

export const CHILD_PROCESS_METHODS: readonly ChildProcessMethod[] =
  ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync']

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Exports = Record<string, unknown>

const kOriginal = Symbol('sidewatch.original')
const start = channels.childProcessStart
const end = channels.childProcessEnd

/** Wrapped calls running on this thread right now. */
let depth = 0

export const childProcessInstrumentation: InstrumentationDefinition = {
  name: 'child_process',
  builtin: true,
  patch (moduleExports: Exports): void {
    const spawnSync = originalOf(moduleExports.spawnSync)
    for (const method of CHILD_PROCESS_METHODS) {
      const current = moduleExports[method]
      if (typeof current !== 'function' || isWrapped(current)) continue
      shimmer.wrap(moduleExports, method, (original) => wrapMethod(method, original as AnyFunction, spawnSync))
    }
  },
  unpatch (moduleExports: Exports): void {
    for (const method of CHILD_PROCESS_METHODS) {
      if (isWrapped(moduleExports[method])) shimmer.unwrap(moduleExports, method)
    }
  },
}

export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

function originalOf (fn: unknown): AnyFunction | undefined {
  if (typeof fn !== 'function') return undefined
  return ((fn as unknown as Record<symbol, unknown>)[kOriginal] ?? fn) as AnyFunction
}

function wrapMethod (method: ChildProcessMethod, original: AnyFunction, spawnSync: AnyFunction | undefined): AnyFunction {
  const call = syncCall(method, original, spawnSync)
  const wrapped = function (this: unknown): unknown {
    if (!(start.hasSubscribers || end.hasSubscribers) || depth > 0) return original.apply(this, arguments as unknown as unknown[])
    let ctx: ChildProcessContext | undefined
    try {
      ctx = describeCall(method, arguments)
    } catch (err) {
      internalError(`describing ${method}()`, err)
    }
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    publish(start, ctx)
    if (ctx.abort !== undefined) {
      // Block mode: no process is made. `end` still reports the call (as blocked).
      ctx.error = ctx.abort
      publish(end, ctx)
      return blockedResult(method, arguments, ctx.abort)
    }
    depth++
    let result: unknown
    try {
      result = call === undefined ? original.apply(this, arguments as unknown as unknown[]) : call(this, arguments, ctx)
    } catch (err) {
      depth--
      settleThrown(ctx, err)
      throw err
    }
    depth--
    settleReturned(ctx, result)
    return result
  }
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true })
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true })
  Object.defineProperty(wrapped, kOriginal, { value: original })
  if (typeof (original as unknown as Record<symbol, unknown>)[promisify.custom] === 'function') {
    Object.defineProperty(wrapped, promisify.custom, { enumerable: false, value: promisifiedExec(wrapped) })
  }
  return wrapped
}

/** For execSync/execFileSync on a Node whose source we know: run Node's code on spawnSync to see the pid. */
function syncCall (method: ChildProcessMethod, original: AnyFunction, spawnSync: AnyFunction | undefined):
  ((self: unknown, args: IArguments, ctx: ChildProcessContext) => unknown) | undefined {
  if (spawnSync === undefined || (method !== 'execSync' && method !== 'execFileSync') || !isKnownNodeSource(method, original)) return undefined
  const run = spawnSync as unknown as Parameters<typeof execSyncVia>[0]
  return (self, args, ctx) => {
    const onResult = (ret: SpawnSyncResult): void => { settleSpawnSyncResult(ctx, ret) }
    const done = method === 'execSync'
      ? execSyncVia(run, args[0], args[1], onResult)
      : execFileSyncVia(run, args[0], args[1], args[2], onResult)
    return done === undefined ? original.apply(self, args as unknown as unknown[]) : done.value
  }
}

function settleReturned (ctx: ChildProcessContext, result: unknown): void {
  try {
    if (ctx.method === 'spawnSync') {
      settleSpawnSyncResult(ctx, result as SpawnSyncResult)
    } else if (!ctx.sync && result !== null && typeof result === 'object') {
      const child = result as { pid?: unknown, once?: (event: symbol, fn: (err: Error) => void) => void }
      if (typeof child.pid === 'number') {
        ctx.pid = child.pid
      } else if (typeof child.once === 'function') {
        // The spawn failed (ENOENT, EACCES, ...): Node emits 'error' on the next tick. errorMonitor
        // sees it without counting as a handler, so an unhandled error stays unhandled.
        child.once(errorMonitor, (err: Error) => {
          ctx.error = err
          publish(end, ctx)
        })
        return
      }
    }
  } catch (err) {
    internalError(`reading the result of ${ctx.method}()`, err)
  }
  publish(end, ctx)
}

function settleThrown (ctx: ChildProcessContext, err: unknown): void {
  if (err !== null && typeof err === 'object') {
    const e = err as { pid?: unknown, code?: unknown }
    if (ctx.pid === undefined && typeof e.pid === 'number' && e.pid > 0) ctx.pid = e.pid
    // A string code (ENOENT, ETIMEDOUT, ERR_INVALID_ARG_TYPE) is a failure to run; a non-zero
    // exit status (execSync) is not: the process ran.
    if (ctx.error === undefined && typeof e.code === 'string' && err instanceof Error) ctx.error = err
  }
  publish(end, ctx)
}

function settleSpawnSyncResult (ctx: ChildProcessContext, ret: SpawnSyncResult): void {
  if (ret === null || typeof ret !== 'object') return
  if (typeof ret.pid === 'number' && ret.pid > 0) ctx.pid = ret.pid
  if (ret.error instanceof Error) ctx.error = ret.error
}

const publish = publishSafely

/** Node's customPromiseExecFunction (lib/child_process.js), over the wrapper. */
function promisifiedExec (fn: AnyFunction): (...args: unknown[]) => Promise<{ stdout: unknown, stderr: unknown }> {
  return (...args) => {
    let resolve!: (value: { stdout: unknown, stderr: unknown }) => void
    let reject!: (reason: unknown) => void
    const promise = new Promise<{ stdout: unknown, stderr: unknown }>((res, rej) => { resolve = res; reject = rej })
    ;(promise as Promise<unknown> & { child?: unknown }).child = fn(...args, (err: (Error & { stdout?: unknown, stderr?: unknown }) | null, stdout: unknown, stderr: unknown) => {
      if (err !== null) {
        err.stdout = stdout
        err.stderr = stderr
        reject(err)
      } else {
        resolve({ stdout, stderr })
      }
    })
    return promise
  }
}
