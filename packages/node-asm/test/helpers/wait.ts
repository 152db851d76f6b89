import type { EventEmitter } from 'node:events'

/**
 * Resolves with the first value `check` returns other than undefined/false, or rejects after `ms`
 * naming what it waited for. Re-checked whenever `changes` emits 'change', and every 20 ms for
 * conditions nothing emits about (a process's counters).
 */
export function waitUntil<T> (what: string, check: () => T | undefined | false, ms = 8000, changes?: EventEmitter): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearInterval(poll)
      clearTimeout(deadline)
      changes?.off('change', test)
    }
    const test = (): void => {
      let value: T | undefined | false
      try {
        value = check()
      } catch (err) {
        done()
        reject(err as Error)
        return
      }
      if (value !== undefined && value !== false) {
        done()
        resolve(value)
      }
    }
    const poll = setInterval(test, 20)
    const deadline = setTimeout(() => {
      done()
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
    }, ms)
    changes?.on('change', test)
    test()
  })
}
