/**
 * Reconnect delays: exponential from `minMs`, doubling per failed attempt up to `maxMs`, with
 * "equal jitter" (a delay is drawn from [d/2, d]) so many SDKs whose agent restarts do not all
 * come back in the same millisecond.
 */
export interface BackoffOptions {
  minMs: number
  maxMs: number
  /** Source of randomness in [0, 1); Math.random by default (tests pass a fixed one). */
  random?: () => number
}

export class Backoff {
  readonly minMs: number
  readonly maxMs: number
  #attempt = 0
  #random: () => number

  constructor (options: BackoffOptions) {
    this.minMs = Math.max(1, options.minMs)
    this.maxMs = Math.max(this.minMs, options.maxMs)
    this.#random = options.random ?? Math.random
  }

  /** Failed attempts since the last reset. */
  get attempt (): number {
    return this.#attempt
  }

  /** The delay before the next attempt; each call counts one more failed attempt. */
  next (): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#attempt, 30))
    this.#attempt++
    return Math.round(ceiling / 2 + this.#random() * (ceiling / 2))
  }

  /** Jump to the cap: used when the agent refused us and trying fast would not help. */
  toCap (): void {
    this.#attempt = Math.max(this.#attempt, Math.ceil(Math.log2(this.maxMs / this.minMs)))
  }

  /** Back to `minMs` after a good connection. */
  reset (): void {
    this.#attempt = 0
  }
}
