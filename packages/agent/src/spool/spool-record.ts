/**
 * How an event is written into the spool, and read back without parsing it: a line with its id
 * and kind, then its JSON (`ID\tKIND\n{…}`), so sinks that send the JSON on (NATS, https) route by
 * the first line and never parse the rest. Ids and kinds are from a charset without tabs or
 * newlines (the event schema's), so the line cannot be forged by a field. A record that starts
 * with `{` (written by an earlier agent) is the JSON alone.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { redactSecretValues } from '../redact/secret-values'

/**
 * The spool record of an event, as text (Spool.append writes it as UTF-8 straight into its
 * buffer). Secret-shaped values are redacted here, once for every sink (redact/secret-values.ts).
 */
export function spoolRecordText (event: SidewatchEvent): string {
  return `${event.id}\t${event.kind}\n${redactSecretValues(JSON.stringify(event))}`
}

/** The spool record of an event. */
export function encodeSpoolRecord (event: SidewatchEvent): Buffer {
  return Buffer.from(spoolRecordText(event))
}

/** The event's JSON in a record. */
export function recordJson (record: Buffer): Buffer {
  if (record[0] === 0x7b) return record
  const nl = record.indexOf(0x0a)
  return nl < 0 ? record : record.subarray(nl + 1)
}

/** The id, kind and JSON of a record; undefined when it has no envelope line (parse it then). */
export function recordEnvelope (record: Buffer): { id: string, kind: string, json: Buffer } | undefined {
  if (record[0] === 0x7b) return undefined
  const nl = record.indexOf(0x0a)
  if (nl < 0 || nl > 512) return undefined
  const tab = record.indexOf(0x09)
  if (tab <= 0 || tab >= nl - 1) return undefined
  return { id: record.toString('latin1', 0, tab), kind: record.toString('latin1', tab + 1, nl), json: record.subarray(nl + 1) }
}
