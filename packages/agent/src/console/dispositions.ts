/**
 * Triage decisions: acknowledge, resolve or mark an alert as a false positive, with a note, who
 * and when. Every decision is kept (the detail page shows the history); the alert's state is the
 * last one.
 */
import type { Database as Db } from 'better-sqlite3'
import { AgentError } from '../errors'
import type { AlertState } from './alerts-query'

export const DECISIONS = ['acknowledged', 'resolved', 'false_positive'] as const satisfies readonly AlertState[]
export type Decision = typeof DECISIONS[number]

export interface DecisionInput { state: string, note: string, who: string }
export interface DecisionRow { id: number, alert_seq: number, state: Decision, note: string, who: string, at: string }

const MAX_NOTE = 4000
const MAX_WHO = 100

/** Checks a decision as submitted; throws SW_ERR_BAD_QUERY saying what is wrong. */
export function checkDecision (input: DecisionInput): { state: Decision, note: string, who: string } {
  if (!(DECISIONS as readonly string[]).includes(input.state)) throw new AgentError('SW_ERR_BAD_QUERY', `decision ${JSON.stringify(input.state.slice(0, 100))} is not one of ${DECISIONS.join(', ')}`)
  const who = input.who.trim()
  if (who === '') throw new AgentError('SW_ERR_BAD_QUERY', 'say who decides (your name) with the decision')
  if (who.length > MAX_WHO) throw new AgentError('SW_ERR_BAD_QUERY', `the name is over ${MAX_WHO} characters`)
  if (input.note.length > MAX_NOTE) throw new AgentError('SW_ERR_BAD_QUERY', `the note is over ${MAX_NOTE} characters`)
  return { state: input.state as Decision, note: input.note.trim(), who }
}

/** Records a decision on alert `seq`; false when there is no such alert. */
export function recordDecision (db: Db, seq: number, input: DecisionInput, at = new Date()): boolean {
  const d = checkDecision(input)
  return db.transaction(() => {
    const changed = db.prepare('UPDATE alerts SET state = ? WHERE seq = ?').run(d.state, seq).changes
    if (changed === 0) return false
    db.prepare('INSERT INTO decisions (alert_seq, state, note, who, at) VALUES (?, ?, ?, ?, ?)').run(seq, d.state, d.note, d.who, at.toISOString())
    return true
  })()
}

/** The decisions on alert `seq`, oldest first. */
export function listDecisions (db: Db, seq: number): DecisionRow[] {
  return db.prepare('SELECT id, alert_seq, state, note, who, at FROM decisions WHERE alert_seq = ? ORDER BY id').all(seq) as DecisionRow[]
}
