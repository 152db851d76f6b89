/**
 * SIGTERM (how ECS and every container runtime stop a task) and SIGINT end a Node process
 * without running its 'exit' handlers, so what the SDK still holds — the current http.summary
 * window, events not yet sent — would be lost with it.
 *
 * The SDK listens for both. Its listener delivers what it holds (synchronously, as at 'exit'),
 * then: when the app has no listener of its own for the signal, removes itself and raises the
 * signal again, so the process dies of it exactly as it would have without the SDK (same exit
 * status); when the app has one, it does nothing more — the app decides what the signal means.
 *
 * Listeners of the `signal-exit` package (used by many libraries, and by test runners) do the
 * same dance: each re-raises only when every listener is one of its own. They are recognised by
 * the counters signal-exit keeps on the global object and process (v4 and v3), and not taken for
 * the app's own handlers — else each would wait for the other and the process would not die.
 */
import { internalError } from './warn'

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** Installs the listeners; returns the function that removes them. */
export function flushOnFatalSignals (flush: () => void): () => void {
  const installed: Array<[NodeJS.Signals, () => void]> = []
  for (const signal of SIGNALS) {
    const listener = (): void => {
      try {
        flush()
      } catch (err) {
        internalError(`flush on ${signal}`, err)
      }
      if (process.listenerCount(signal) - 1 - signalExitListeners() > 0) return
      process.removeListener(signal, listener)
      process.kill(process.pid, signal)
    }
    process.on(signal, listener)
    installed.push([signal, listener])
  }
  return () => { for (const [signal, listener] of installed) process.removeListener(signal, listener) }
}

/** Listeners per signal that belong to signal-exit (v4 keeps its count on a global symbol, v3 on process). */
function signalExitListeners (): number {
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')]?.count
  const v3 = (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__?.count
  return (typeof v4 === 'number' ? v4 : 0) + (typeof v3 === 'number' ? v3 : 0)
}
