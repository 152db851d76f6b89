/**
 * One CloudTrail record → the `cloudtrail` event the agent stores and the rules read: the fields
 * rules filter on most (name, source, time, region, source IP, principal, error) lifted out, the
 * record kept whole under `record` for `ct.request.*`, `ct.response.*` and `ct.record.*` paths.
 * The event id is `ct-` and the record's eventID, so the same record read twice (an overlapping
 * S3 listing, EventBridge and the trail both) is one event to receivers that deduplicate by id.
 */
import type { CloudTrailEvent } from '@sidewatch/proto'

/** The time form the event schema takes (and CloudTrail writes). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

/** Why a record cannot be an event, or undefined when it can. */
export function recordProblem (record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'is not a JSON object'
  const r = record as Record<string, unknown>
  for (const key of ['eventID', 'eventName', 'eventSource', 'eventTime']) {
    if (typeof r[key] !== 'string' || r[key] === '') return `has no ${key}`
  }
  if (!/^[A-Za-z0-9._:-]{1,120}$/.test(r.eventID as string)) return `has an eventID that is not an id: ${JSON.stringify(String(r.eventID).slice(0, 60))}`
  if (eventTimeOf(r.eventTime as string) === undefined) return `has an eventTime that is not a time: ${JSON.stringify(String(r.eventTime).slice(0, 40))}`
  return undefined
}

/**
 * The event time of a record: its eventTime as it is when RFC 3339 (CloudTrail writes
 * `2026-11-27T10:00:00Z`), else normalised from what Date can read; undefined when Date cannot,
 * or when the year is outside 0000–9999 (an ISO string of `-271821-04-20` is no RFC 3339 time).
 */
function eventTimeOf (text: string): string | undefined {
  if (RFC3339.test(text)) return text
  const ms = Date.parse(text)
  if (!Number.isFinite(ms)) return undefined
  const iso = new Date(ms).toISOString()
  return RFC3339.test(iso) ? iso : undefined
}

/** The identity that made the call: its ARN, else the principal id, else its type. */
export function principalOf (record: Record<string, any>): string | undefined {
  const id = record.userIdentity as Record<string, any> | undefined
  if (id === undefined || id === null) return undefined
  for (const value of [id.arn, id.principalId, id.invokedBy, id.type]) if (typeof value === 'string' && value !== '') return value
  return undefined
}

/** A valid record (see recordProblem) as an event. */
export function cloudTrailEvent (record: Record<string, any>): CloudTrailEvent {
  const cloudtrail: CloudTrailEvent['cloudtrail'] = {
    event_id: record.eventID,
    event_name: String(record.eventName).slice(0, 256),
    event_source: String(record.eventSource).slice(0, 256),
    event_time: eventTimeOf(record.eventTime) as string,
    record,
  }
  if (typeof record.awsRegion === 'string') cloudtrail.region = record.awsRegion.slice(0, 64)
  if (typeof record.sourceIPAddress === 'string') cloudtrail.source_ip = record.sourceIPAddress.slice(0, 256)
  const principal = principalOf(record)
  if (principal !== undefined) cloudtrail.principal = principal.slice(0, 2048)
  if (typeof record.errorCode === 'string') cloudtrail.error_code = record.errorCode.slice(0, 256)
  return { id: `ct-${record.eventID as string}`, ts: cloudtrail.event_time, source: 'agent.cloudtrail', kind: 'cloudtrail', cloudtrail }
}
