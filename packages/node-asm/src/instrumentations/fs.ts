/**
 * fs: wraps the calls that read, write, create, delete or re-permission files by path, in their
 * callback (`fs.readFile`), sync (`fs.readFileSync`), promise (`fs.promises.readFile`, the same
 * object as `require('fs/promises')`) and stream (`fs.createReadStream`) forms, and publishes
 * each on `sidewatch:fs:start` (before it runs) and `:end` (once it returned, threw or called
 * back). The op list and its rationale are in fs-describe.ts.
 *
 * Each call is reported once, as the API the app used: calls Node makes inside it (writeFile →
 * open, appendFileSync → writeFileSync, rm → unlink/rmdir, a stream's deferred open) and calls
 * the SDK's own subscribers make while a message is published are not reported again. Nested
 * calls made synchronously are caught by a depth counter; rm/rmdir walk the tree asynchronously
 * through the public fs, so they run in an AsyncLocalStorage scope (made on first use) that the
 * app's callback leaves again.
 *
 * A `start` subscriber can set `ctx.abort`: the call does not happen, and fails the way its API
 * fails: sync throws, callback gets the error on the next tick, promise rejects, stream emits
 * 'error' without opening the file.
 */
import shimmer = require('shimmer')
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks'
import { errorMonitor } from 'node:events'
import type { Readable } from 'node:stream'
import { channels, type FsApi, type FsContext, type TypedChannel, publishSafely } from '../channels'
import type { InstrumentationDefinition } from '../hook'
import { internalError } from '../warn'
import { describeFsCall, PATH_OPS, STREAM_OPS } from './fs-describe'
import { optionsWithFailingOpen, replaceStreamOpen } from './fs-stream'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Exports = Record<string, unknown>

const kOriginal = Symbol('sidewatch.original')
const start = channels.fsStart
const end = channels.fsEnd

/** Wrapped calls (and publishes) running on this thread right now. */
let depth = 0
/** Set while rm/rmdir run: the fs calls they make are theirs, not the app's. */
let inside: AsyncLocalStorage<true> | undefined
const WALKS_TREE = new Set(['rm', 'rmdir'])

export const fsInstrumentation: InstrumentationDefinition = {
  name: 'fs',
  builtin: true,
  patch (fs: Exports): void {
    for (const op of PATH_OPS) {
      wrap(fs, op, (original) => wrapCallback(op, original))
      wrap(fs, `${op}Sync`, (original) => wrapSync(op, original))
    }
    for (const op of STREAM_OPS) wrap(fs, op, (original) => wrapStream(op, original, fs))
    const promises = fs.promises as Exports | undefined
    if (promises !== null && typeof promises === 'object') {
      for (const op of PATH_OPS) wrap(promises, op, (original) => wrapPromise(op, original))
    }
  },
  unpatch (fs: Exports): void {
    const names = [...PATH_OPS, ...PATH_OPS.map((op) => `${op}Sync`), ...STREAM_OPS]
    for (const name of names) if (isWrapped(fs[name])) shimmer.unwrap(fs, name)
    const promises = fs.promises as Exports | undefined
    if (promises !== null && typeof promises === 'object') {
      for (const op of PATH_OPS) if (isWrapped(promises[op])) shimmer.unwrap(promises, op)
    }
  },
}

/**
 * Runs `fn` with fs reporting off on this thread, for the SDK's own synchronous file reads
 * (service-name.ts reads package.json). Async work started by `fn` is not covered.
 */
export function withoutFsReports<T> (fn: () => T): T {
  depth++
  try {
    return fn()
  } finally {
    depth--
  }
}

export function isWrapped (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

function wrap (target: Exports, name: string, make: (original: AnyFunction) => AnyFunction): void {
  const current = target[name]
  if (typeof current !== 'function' || isWrapped(current)) return
  shimmer.wrap(target, name, (original) => {
    const wrapped = make(original as AnyFunction)
    Object.defineProperty(wrapped, 'length', { value: (original as AnyFunction).length, configurable: true })
    Object.defineProperty(wrapped, 'name', { value: (original as AnyFunction).name, configurable: true })
    Object.defineProperty(wrapped, kOriginal, { value: original })
    return wrapped
  })
}

/** The context of a call to report, or undefined for calls that are not (nested, fd-based, ...). */
function describe (op: string, api: FsApi, args: IArguments): FsContext | undefined {
  if (inside?.getStore() === true) return undefined
  try {
    return describeFsCall(op, api, args)
  } catch (err) {
    internalError(`describing fs.${op}()`, err)
    return undefined
  }
}

function wrapSync (op: string, original: AnyFunction): AnyFunction {
  return function (this: unknown): unknown {
    if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    const ctx = describe(op, 'sync', arguments)
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    if (aborted(ctx)) throw ctx.abort
    let result: unknown
    depth++
    try {
      result = original.apply(this, arguments as unknown as unknown[])
    } catch (err) {
      depth--
      settle(ctx, err)
      throw err
    }
    depth--
    settle(ctx, undefined)
    return result
  }
}

function wrapCallback (op: string, original: AnyFunction): AnyFunction {
  return function (this: unknown): unknown {
    if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    const last = arguments.length - 1
    const callback: unknown = arguments[last]
    const ctx = typeof callback === 'function' ? describe(op, 'callback', arguments) : undefined
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    const cb = callback as AnyFunction
    if (aborted(ctx)) {
      process.nextTick(cb, ctx.abort)
      return undefined
    }
    const args = Array.prototype.slice.call(arguments) as unknown[]
    const done = function (this: unknown, err: unknown): unknown {
      settle(ctx, err)
      return cb.apply(this, arguments as unknown as unknown[])
    }
    return run(op, original, this, args, last, done, ctx)
  }
}

function run (op: string, original: AnyFunction, self: unknown, args: unknown[], last: number, done: AnyFunction, ctx: FsContext): unknown {
  depth++
  try {
    if (!WALKS_TREE.has(op)) {
      args[last] = done
      return original.apply(self, args)
    }
    // The callback runs outside the rm scope, so the app's own fs calls in it are reported.
    args[last] = AsyncResource.bind(done)
    inside ??= new AsyncLocalStorage()
    return inside.run(true, () => original.apply(self, args))
  } catch (err) {
    settle(ctx, err)
    throw err
  } finally {
    depth--
  }
}

function wrapPromise (op: string, original: AnyFunction): AnyFunction {
  return function (this: unknown): unknown {
    if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    const ctx = describe(op, 'promise', arguments)
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    if (aborted(ctx)) return Promise.reject(ctx.abort)
    const args = arguments as unknown as unknown[]
    let promise: unknown
    depth++
    try {
      promise = WALKS_TREE.has(op)
        ? (inside ??= new AsyncLocalStorage()).run(true, () => original.apply(this, args))
        : original.apply(this, args)
    } catch (err) {
      settle(ctx, err)
      throw err
    } finally {
      depth--
    }
    // A branch of its own: the app's promise is returned untouched, handled or not as before.
    if (promise instanceof Promise) promise.then(() => { settle(ctx, undefined) }, (err: unknown) => { settle(ctx, err) })
    else settle(ctx, undefined)
    return promise
  }
}

function wrapStream (op: string, original: AnyFunction, fs: Exports): AnyFunction {
  // The unwrapped open: fs.open is wrapped before the stream functions.
  const open = ((fs.open as unknown as Record<symbol, unknown>)[kOriginal] ?? fs.open) as AnyFunction
  return function (this: unknown): unknown {
    if (depth !== 0 || !(start.hasSubscribers || end.hasSubscribers)) return original.apply(this, arguments as unknown as unknown[])
    const ctx = describe(op, 'stream', arguments)
    if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[])
    publish(start, ctx)
    const abort = ctx.abort
    // Aborted: the same call with an fs whose open fails, so the stream errors without opening.
    const args = abort === undefined ? arguments as unknown as unknown[] : [arguments[0], optionsWithFailingOpen(arguments[1], fs, abort)]
    let stream: Readable
    depth++
    try {
      stream = original.apply(this, args) as Readable
    } catch (err) {
      depth--
      settle(ctx, err)
      throw err
    }
    depth--
    try {
      if (abort === undefined) replaceStreamOpen(stream, fs, open)
      settleOnOpen(ctx, stream)
    } catch (err) {
      internalError(`watching fs.${op}()`, err)
    }
    return stream
  }
}

/** Publishes end when the stream has its fd, or when it fails; whichever comes first. */
function settleOnOpen (ctx: FsContext, stream: Readable): void {
  const onOpen = (): void => { stream.removeListener(errorMonitor, onError); settle(ctx, undefined) }
  const onError = (err: unknown): void => { stream.removeListener('open', onOpen); settle(ctx, err) }
  stream.once('open', onOpen)
  stream.once(errorMonitor, onError)
}

/** Publishes start; true when a subscriber aborted the call (then end is published too). */
function aborted (ctx: FsContext): boolean {
  publish(start, ctx)
  if (ctx.abort === undefined) return false
  settle(ctx, ctx.abort)
  return true
}

function settle (ctx: FsContext, err: unknown): void {
  if (err instanceof Error) ctx.error = err
  publish(end, ctx)
}

/** Publishes with the re-entrancy guard up, so fs calls made by subscribers are not reported. */
function publish (channel: TypedChannel<FsContext>, ctx: FsContext): void {
  depth++
  try {
    publishSafely(channel, ctx)
  } finally {
    depth--
  }
}
