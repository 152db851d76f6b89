/**
 * What to add to the user's rule file after a false positive: an exception on the alert's rule
 * that matches the event that fired it, by the fields the rule folds repeats on (its `dedup`, which
 * say what makes two alerts of that rule the same thing), else by a few identifying fields of the
 * event's kind. Appended to the rule with `override: {exceptions: append}`, so the shipped rule is
 * tuned without being edited. Values come from the stored event (attacker-controlled text
 * included): the YAML library quotes them.
 */
import { stringify } from 'yaml'
import { DEFAULT_RULES_DIR, ruleFilesIn } from '../rules/load-rules'
import { lookupField, type AnyEvent } from '../rules/fields'
import { readRuleFile } from '../rules/rule-file'

/** Tried in order when the rule has no dedup fields; at most MAX_FIELDS that the event has. */
const FALLBACK_FIELDS = ['evt.container', 'evt.service', 'proc.exe', 'net.dst', 'net.dport', 'attack.sink', 'attack.input.name',
  'http.route', 'fs.path', 'ct.name', 'ct.principal', 'login.user']
const MAX_FIELDS = 4

/** Each rule's dedup fields, as the rule files (the shipped pack, then `paths`) leave them. */
export function ruleDedupFields (paths: readonly string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const file of ruleFilesIn([DEFAULT_RULES_DIR, ...paths])) {
    for (const item of readRuleFile(file).items) {
      if (item.type === 'rule' && item.dedup !== undefined) out.set(item.name, item.dedup.map((d) => d.value))
    }
  }
  return out
}

export interface ExceptionSuggestion { yaml: string, fields: string[], values: string[] }

/** The exception for alert `seq` of `rule` fired by `event`; undefined when no field identifies it. */
export function suggestException (rule: string, seq: number, event: AnyEvent | undefined, dedup: readonly string[] | undefined): ExceptionSuggestion | undefined {
  if (event === undefined) return undefined
  const fields: string[] = []
  const values: string[] = []
  const candidates = dedup !== undefined && dedup.length > 0 ? dedup : FALLBACK_FIELDS
  for (const name of candidates) {
    const value = scalar(lookupField(name)?.get(event))
    if (value === undefined) continue
    fields.push(name)
    values.push(value)
    if (dedup === undefined && fields.length === MAX_FIELDS) break
  }
  if (fields.length === 0) return undefined
  const item = {
    rule,
    exceptions: [{ name: `console_false_positive_${seq}`, fields, comps: fields.map(() => '='), values: [values] }],
    override: { exceptions: 'append' },
  }
  return { yaml: stringify([item], { lineWidth: 0 }), fields, values }
}

function scalar (value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return String(value)
  return undefined
}
