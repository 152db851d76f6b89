/**
 * An alert's evidence from the store: the events its `evidence` ids name (the event that fired it,
 * then what the agent joined to it), and the HTTP request of any of them that happened in one
 * (found by its request id through the full-text index).
 */
import type { Database as Db } from 'better-sqlite3'

export interface StoredEvent { seq: number, id: string, kind: string, event: Record<string, any> }

export interface Evidence {
  /** In the order of the alert's evidence ids; ids the store does not hold are in `missing`. */
  events: StoredEvent[]
  missing: string[]
  /** http.request events of the request ids the evidence carries, not already among `events`. */
  requests: StoredEvent[]
}

export function loadEvidence (db: Db, ids: readonly string[]): Evidence {
  const wanted = ids.slice(0, 256)
  const found = new Map<string, StoredEvent>()
  if (wanted.length > 0) {
    const rows = db.prepare(`SELECT seq, id, kind, json FROM events WHERE id IN (${wanted.map(() => '?').join(', ')})`).all(...wanted) as Array<{ seq: number, id: string, kind: string, json: string }>
    for (const r of rows) found.set(r.id, { seq: r.seq, id: r.id, kind: r.kind, event: JSON.parse(r.json) as Record<string, any> })
  }
  const events = wanted.flatMap((id) => found.get(id) ?? [])
  const missing = wanted.filter((id) => !found.has(id))
  const requestIds = new Set<string>()
  for (const e of events) {
    const rid = e.event.request_id
    if (typeof rid === 'string' && rid !== '' && e.kind !== 'http.request') requestIds.add(rid)
  }
  const requests: StoredEvent[] = []
  for (const rid of [...requestIds].slice(0, 8)) {
    const r = findRequest(db, rid)
    if (r !== undefined && !found.has(r.id)) requests.push(r)
  }
  return { events, missing, requests }
}

export function getEvent (db: Db, id: string): StoredEvent | undefined {
  const r = db.prepare('SELECT seq, id, kind, json FROM events WHERE id = ?').get(id) as { seq: number, id: string, kind: string, json: string } | undefined
  return r === undefined ? undefined : { seq: r.seq, id: r.id, kind: r.kind, event: JSON.parse(r.json) as Record<string, any> }
}

function findRequest (db: Db, requestId: string): StoredEvent | undefined {
  const rows = db.prepare(`SELECT e.seq, e.id, e.kind, e.json FROM events_fts f JOIN events e ON e.seq = f.rowid
    WHERE events_fts MATCH ? AND e.kind = 'http.request' ORDER BY f.rowid DESC LIMIT 20`).all(`"${requestId.replaceAll('"', '""')}"`) as Array<{ seq: number, id: string, kind: string, json: string }>
  for (const r of rows) {
    const event = JSON.parse(r.json) as Record<string, any>
    if (event.request_id === requestId) return { seq: r.seq, id: r.id, kind: r.kind, event }
  }
  return undefined
}
