/**
 * How an event is written into the spool, and read back without parsing it: the JSON of the
 * event with `id` and `kind` as its first two keys (`{"id":"…","kind":"…",…}`), so sinks that send
 * the JSON on (NATS, https) take the id and kind from the first bytes and never parse the rest.
 * Any other record (written by an earlier agent, say) is parsed as a whole.
 */
import type { SidewatchEvent } from '@sidewatch/proto'

/** The spool record of an event. */
export function encodeSpoolRecord (event: SidewatchEvent): Buffer {
  const { id, kind, ...rest } = event
  const body = JSON.stringify(rest)
  return Buffer.from(`{"id":${JSON.stringify(id)},"kind":${JSON.stringify(kind)}${body === '{}' ? '}' : `,${body.slice(1)}`}`)
}

const ID = Buffer.from('{"id":"')
const KIND = Buffer.from('","kind":"')

/** The id and kind of a record, from its first bytes; undefined when it does not start that way. */
export function recordEnvelope (record: Buffer): { id: string, kind: string } | undefined {
  if (record.length < ID.length + KIND.length + 4 || record.compare(ID, 0, ID.length, 0, ID.length) !== 0) return undefined
  const idEnd = record.indexOf(0x22, ID.length)
  if (idEnd < 0 || record.compare(KIND, 0, KIND.length, idEnd, idEnd + KIND.length) !== 0) return undefined
  const kindStart = idEnd + KIND.length
  const kindEnd = record.indexOf(0x22, kindStart)
  if (kindEnd < 0) return undefined
  // A backslash would mean an escape: not an id or kind the schema allows, so not this form.
  if (record.lastIndexOf(0x5c, kindEnd) >= ID.length) return undefined
  return { id: record.toString('latin1', ID.length, idEnd), kind: record.toString('latin1', kindStart, kindEnd) }
}
