/** Splitting an events batch into the events to store and the answers owed for the others. */
import type { SidewatchEvent } from '@sidewatch/proto'
import { validateEvent } from '@sidewatch/proto/schema'

export interface InvalidEvent {
  /** JSON Pointer into the events message, e.g. `/events/3/exec/file`. */
  field: string
  message: string
  event: unknown
}

export function checkBatch (events: readonly unknown[]): { valid: SidewatchEvent[], invalid: InvalidEvent[] } {
  const valid: SidewatchEvent[] = []
  const invalid: InvalidEvent[] = []
  events.forEach((event, index) => {
    const issue = validateEvent(event)
    if (issue === undefined) valid.push(event as SidewatchEvent)
    else invalid.push({ field: `/events/${index}${issue.field}`, message: issue.message, event })
  })
  return { valid, invalid }
}
