/**
 * A FIFO with a hard capacity that drops the OLDEST items when full and counts every drop.
 * push and shift are amortised O(1): items live in an array read from a moving head, compacted
 * once the dead prefix is larger than the live part.
 */
export class BoundedQueue<T> {
  readonly capacity: number
  #items: Array<T | undefined> = []
  #head = 0
  #dropped = 0

  constructor (capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
  }

  get length (): number {
    return this.#items.length - this.#head
  }

  /** Items dropped since the queue was made. */
  get dropped (): number {
    return this.#dropped
  }

  /** Appends; when full, first drops the oldest item. Returns how many items were dropped (0 or 1). */
  push (item: T): number {
    let dropped = 0
    if (this.length >= this.capacity) {
      this.#items[this.#head++] = undefined
      dropped = 1
      this.#dropped++
      this.#compact()
    }
    this.#items.push(item)
    return dropped
  }

  peek (): T | undefined {
    return this.length === 0 ? undefined : this.#items[this.#head]
  }

  shift (): T | undefined {
    if (this.length === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    this.#compact()
    return item
  }

  /**
   * Puts `items` (older than everything queued) back at the front, in their order. What does not
   * fit is dropped from the front, oldest first. Returns how many were dropped.
   */
  unshiftMany (items: readonly T[]): number {
    const room = this.capacity - this.length
    const drop = Math.max(0, items.length - room)
    const keep = drop === 0 ? items : items.slice(drop)
    this.#dropped += drop
    if (keep.length === 0) return drop
    if (this.#head >= keep.length) {
      this.#head -= keep.length
      for (let i = 0; i < keep.length; i++) this.#items[this.#head + i] = keep[i]
    } else {
      this.#items = [...keep, ...this.#items.slice(this.#head)]
      this.#head = 0
    }
    return drop
  }

  /** Removes and returns everything, oldest first. */
  drain (): T[] {
    const out = this.#items.slice(this.#head) as T[]
    this.#items = []
    this.#head = 0
    return out
  }

  #compact (): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    } else if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    }
  }
}
