/**
 * Puts a stream of items back in time order within a window: CloudTrail files are delivered about
 * every five minutes and their records are not strictly in order, inside a file or across files,
 * while rules with windows (thresholds, learning, folding) want events as they happened. Up to
 * `window` items wait, sorted by time; each push beyond that releases the earliest. An item
 * earlier than one already released (out of order by more than the window) is released at once
 * and counted in `late`. Equal times keep their arrival order.
 *
 * The waiting items are a sorted array used as a queue: an item in order (the usual case) is
 * appended, one out of order is inserted where it belongs (binary search, then a move of the
 * items after it).
 */
export class TimeOrder<T> {
  readonly #window: number
  #times: number[] = []
  #items: T[] = []
  /** The first waiting item; the ones before it are released (dropped in batches). */
  #head = 0
  #released = -Infinity
  /** Items that arrived after a later one had been released already. */
  late = 0

  constructor (window: number) {
    if (!(window >= 1)) throw new RangeError(`window must be at least 1, got ${window}`)
    this.#window = window
  }

  get size (): number { return this.#items.length - this.#head }

  /** Adds an item; calls `release` with the earliest one when the window is full. */
  push (time: number, item: T, release: (item: T) => void): void {
    if (time < this.#released) {
      this.late++
      release(item)
      return
    }
    const times = this.#times
    const n = times.length
    if (n === this.#head || time >= (times[n - 1] as number)) {
      times.push(time)
      this.#items.push(item)
    } else {
      // After the last item not later than it.
      let lo = this.#head
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((times[mid] as number) <= time) lo = mid + 1
        else hi = mid
      }
      times.splice(lo, 0, time)
      this.#items.splice(lo, 0, item)
    }
    if (this.size > this.#window) release(this.#shift())
  }

  /** Releases everything still waiting, earliest first. */
  drain (release: (item: T) => void): void {
    while (this.size > 0) release(this.#shift())
  }

  #shift (): T {
    const i = this.#head++
    const item = this.#items[i] as T
    this.#released = this.#times[i] as number
    this.#items[i] = undefined as T // let it go now
    if (this.#head >= 4096 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#times = this.#times.slice(this.#head)
      this.#head = 0
    }
    return item
  }
}
