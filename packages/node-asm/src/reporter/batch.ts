/**
 * Cutting the queue into `events` messages: up to `maxEvents` events and `maxBytes` bytes of
 * JSON each. Events are serialised here, off the application's path, once each: the head that
 * did not fit is kept serialised for the next batch.
 */
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, type SidewatchEvent } from '@sidewatch/proto'
import type { BoundedQueue } from './queue'

/** Room for the `{"type":"events","seq":N,"events":[...]}` wrapper in one frame. */
export const MAX_EVENT_BYTES = DEFAULT_MAX_FRAME_SIZE - 1024

export interface Batch {
  events: SidewatchEvent[]
  /** Each event's JSON, in order. */
  json: string[]
}

export class BatchCutter {
  readonly #maxEvents: number
  readonly #maxBytes: number
  #carry: { event: SidewatchEvent, json: string } | undefined

  constructor (maxEvents: number, maxBytes: number) {
    this.#maxEvents = maxEvents
    this.#maxBytes = maxBytes
  }

  /**
   * Takes the next batch off `queue` (undefined when it is empty). An event too large for any
   * frame is taken off and counted through `onTooLarge` instead.
   */
  take (queue: BoundedQueue<SidewatchEvent>, onTooLarge: () => void): Batch | undefined {
    const events: SidewatchEvent[] = []
    const json: string[] = []
    let bytes = 0
    while (events.length < this.#maxEvents) {
      const event = queue.peek()
      if (event === undefined) break
      const text = this.#carry?.event === event ? this.#carry.json : JSON.stringify(event)
      this.#carry = undefined
      const size = Buffer.byteLength(text)
      if (size > MAX_EVENT_BYTES) {
        queue.shift()
        onTooLarge()
        continue
      }
      if (events.length > 0 && bytes + size + 1 > this.#maxBytes) {
        this.#carry = { event, json: text }
        break
      }
      queue.shift()
      events.push(event)
      json.push(text)
      bytes += size + 1
    }
    return events.length === 0 ? undefined : { events, json }
  }
}

/** The frame of one `events` message, built from already serialised events. */
export function eventsFrame (seq: number, json: readonly string[]): Buffer {
  return encodeFrame(Buffer.from(`{"type":"events","seq":${seq},"events":[${json.join(',')}]}`, 'utf8'))
}
