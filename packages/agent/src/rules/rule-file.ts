/**
 * One rule file: YAML → its items (`required_engine_version`, `list`, `macro`, `rule`) checked
 * for shape, each key remembered with where it is in the file, so that every problem found here
 * or later (a condition that does not compile, an undefined macro) is reported as
 * `file:line:col: message`. Nothing is compiled here; rule-set.ts merges files and compiles.
 */
import { readFileSync } from 'node:fs'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'

/** Bumped when the rule language gains something older engines cannot read. */
export const ENGINE_VERSION = 1

export const PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const
export type Priority = typeof PRIORITIES[number]

/** A problem in a rule file, where it is. */
export interface RuleProblem { file: string, line: number, col: number, message: string }

/** Where something is: the file and the offsets of a YAML node (for conditions: its text). */
export class Position {
  constructor (readonly file: string, readonly source: string, readonly lines: LineCounter, readonly node: Node | undefined) {}

  problem (message: string, offset?: number): RuleProblem {
    const at = offset ?? this.node?.range?.[0] ?? 0
    const { line, col } = this.lines.linePos(at)
    return { file: this.file, line, col, message }
  }

  /**
   * Where offset `at` of a scalar's value lies in the file. Exact for one-line plain and quoted
   * scalars; for folded and multi-line ones, the occurrence of `token` that is the same
   * occurrence in the value as the one at `at`, else the scalar's start.
   */
  inValue (at: number, token: string): number {
    const node = this.node
    if (!isScalar(node) || node.range === undefined || node.range === null) return 0
    const [start, end] = node.range
    const raw = this.source.slice(start, end)
    const value = String(node.value)
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'
    if ((node.type === 'PLAIN' || quoted) && !raw.includes('\n') && !value.includes('\\')) return start + (quoted ? 1 : 0) + at
    if (token === '') return start
    let nth = 0
    for (let i = value.indexOf(token); i !== -1 && i < at; i = value.indexOf(token, i + 1)) nth++
    let found = raw.indexOf(token)
    while (found !== -1 && nth > 0) { found = raw.indexOf(token, found + 1); nth-- }
    return found === -1 ? start : start + found
  }
}

export interface Located<T> { value: T, at: Position }

export interface ExceptionItem {
  name: string
  fields: Array<Located<string>>
  comps: Array<Located<string>>
  values: Array<Array<Located<string>>>
  at: Position
}

export interface ListItem { type: 'list', name: string, items: string[], append: boolean, at: Position }
export interface MacroItem { type: 'macro', name: string, condition: Located<string> | undefined, append: boolean, at: Position }
export interface RuleItem {
  type: 'rule'
  name: string
  at: Position
  desc?: Located<string>
  condition?: Located<string>
  output?: Located<string>
  priority?: Located<Priority>
  tags?: string[]
  enabled?: boolean
  exceptions?: ExceptionItem[]
  /** Fields whose values make the dedup key (default: the rendered output). */
  dedup?: Array<Located<string>>
  /** Seconds repeats are folded into one alert (default 60). */
  foldSeconds?: number
  /** `first`: the first time a value is seen after learning; `unlearned`: every event whose value was not learned. */
  newValue?: { fields: Array<Located<string>>, learnSeconds: number, mode: 'first' | 'unlearned', at: Position }
  threshold?: { sum: Located<string> | undefined, by: Array<Located<string>>, windowSeconds: number, over: number, at: Position }
  /** Which keys replace and which append when this item modifies an earlier rule. */
  override: Record<string, 'append' | 'replace'>
  append: boolean
}

export type RuleFileItem = ListItem | MacroItem | RuleItem

export interface RuleFile { file: string, items: RuleFileItem[], problems: RuleProblem[] }

const RULE_KEYS = ['rule', 'desc', 'condition', 'output', 'priority', 'tags', 'enabled', 'exceptions', 'dedup', 'fold', 'new_value', 'threshold', 'override', 'append', 'source']
const OVERRIDABLE = ['desc', 'condition', 'output', 'priority', 'tags', 'enabled', 'exceptions', 'dedup', 'fold', 'new_value', 'threshold']

export function readRuleFile (file: string): RuleFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { file, items: [], problems: [{ file, line: 1, col: 1, message: `cannot read: ${(err as Error).message}` }] }
  }
  return parseRuleFile(file, text)
}

export function parseRuleFile (file: string, text: string): RuleFile {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const problems: RuleProblem[] = []
  const items: RuleFileItem[] = []
  const pos = (node: Node | undefined): Position => new Position(file, text, lines, node)
  for (const err of doc.errors) {
    const { line, col } = err.linePos?.[0] ?? lines.linePos(err.pos[0])
    problems.push({ file, line, col, message: `YAML: ${err.message.split('\n')[0] ?? err.message}` })
  }
  if (problems.length > 0) return { file, items, problems }
  const root = doc.contents
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { file, items, problems }
  if (!isSeq(root)) return { file, items, problems: [pos(root as Node).problem('a rule file is a YAML list of items (- rule: …, - macro: …, - list: …)')] }

  for (const node of root.items) {
    const at = pos(node as Node)
    if (!isMap(node)) { problems.push(at.problem('each item is a map with one of rule, macro, list or required_engine_version')); continue }
    const keys = new Map<string, Pair<Scalar, Node>>()
    for (const pair of (node as YAMLMap<Scalar, Node>).items) keys.set(String(pair.key.value), pair)
    const get = (key: string): Node | undefined => keys.get(key)?.value ?? undefined
    const kind = ['required_engine_version', 'list', 'macro', 'rule'].find((k) => keys.has(k))
    if (kind === undefined) { problems.push(at.problem(`an item needs one of rule, macro, list or required_engine_version (found ${[...keys.keys()].join(', ') || 'nothing'})`)); continue }
    const unknown = (allowed: string[]): void => {
      for (const [key, pair] of keys) if (!allowed.includes(key)) problems.push(pos(pair.key).problem(`unknown field ${key} in ${kind} item (allowed: ${allowed.join(', ')})`))
    }
    const str = (key: string, required: boolean): Located<string> | undefined => {
      const n = get(key)
      if (n === undefined) { if (required) problems.push(at.problem(`${kind} item needs ${key}`)); return undefined }
      if (!isScalar(n) || typeof n.value !== 'string' || n.value.trim() === '') { problems.push(pos(n).problem(`${key} must be a non-empty string`)); return undefined }
      return { value: n.value, at: pos(n) }
    }
    const strList = (key: string): Array<Located<string>> | undefined => {
      const n = get(key)
      if (n === undefined) return undefined
      if (!isSeq(n)) { problems.push(pos(n).problem(`${key} must be a list`)); return undefined }
      const out: Array<Located<string>> = []
      for (const item of n.items) {
        if (!isScalar(item) || item.value === null || typeof item.value === 'object') { problems.push(pos(item as Node).problem(`${key} items must be strings`)); continue }
        out.push({ value: String(item.value), at: pos(item) })
      }
      return out
    }
    const bool = (key: string): boolean | undefined => {
      const n = get(key)
      if (n === undefined) return undefined
      if (!isScalar(n) || typeof n.value !== 'boolean') { problems.push(pos(n).problem(`${key} must be true or false`)); return undefined }
      return n.value
    }

    if (kind === 'required_engine_version') {
      unknown(['required_engine_version'])
      const n = get(kind)
      const v = isScalar(n) ? Number(String(n.value).split('.')[0]) : NaN
      if (!Number.isInteger(v)) problems.push(pos(n).problem('required_engine_version must be a number'))
      else if (v > ENGINE_VERSION) problems.push(pos(n).problem(`this file needs rule engine version ${String((n as Scalar).value)}; this agent has ${ENGINE_VERSION}`))
      continue
    }
    const name = str(kind, true)
    if (name === undefined) continue
    const append = bool('append') ?? false
    if (kind === 'list') {
      unknown(['list', 'items', 'append', 'override'])
      const override = overrides(get('override'), ['items'], pos, problems)
      items.push({ type: 'list', name: name.value, items: (strList('items') ?? []).map((i) => i.value), append: append || override.items === 'append', at })
      continue
    }
    if (kind === 'macro') {
      unknown(['macro', 'condition', 'append', 'override'])
      const override = overrides(get('override'), ['condition'], pos, problems)
      items.push({ type: 'macro', name: name.value, condition: str('condition', true), append: append || override.condition === 'append', at })
      continue
    }
    unknown(RULE_KEYS)
    const rule: RuleItem = { type: 'rule', name: name.value, at, override: overrides(get('override'), OVERRIDABLE, pos, problems), append }
    rule.desc = str('desc', false)
    rule.condition = str('condition', false)
    rule.output = str('output', false)
    const priority = str('priority', false)
    if (priority !== undefined) {
      const p = priority.value.toLowerCase() === 'info' ? 'informational' : priority.value.toLowerCase()
      if ((PRIORITIES as readonly string[]).includes(p)) rule.priority = { value: p as Priority, at: priority.at }
      else problems.push(priority.at.problem(`priority ${JSON.stringify(priority.value)} is not one of ${PRIORITIES.join(', ')}`))
    }
    rule.tags = strList('tags')?.map((t) => t.value)
    rule.enabled = bool('enabled')
    rule.dedup = strList('dedup')
    const fold = get('fold')
    if (fold !== undefined) rule.foldSeconds = seconds(fold, 'fold', pos, problems)
    const exceptions = get('exceptions')
    if (exceptions !== undefined) rule.exceptions = readExceptions(exceptions, pos, problems)
    const newValue = get('new_value')
    if (newValue !== undefined) {
      if (!isMap(newValue)) problems.push(pos(newValue).problem('new_value is a map: fields, learn, mode'))
      else {
        const m = mapOf(newValue)
        for (const key of m.keys()) if (!['fields', 'learn', 'mode'].includes(key)) problems.push(pos(m.get(key)?.key).problem(`unknown field ${key} in new_value (allowed: fields, learn, mode)`))
        const modeNode = m.get('mode')?.value
        const mode = modeNode === undefined || modeNode === null ? 'first' : isScalar(modeNode) ? String(modeNode.value) : ''
        if (mode !== 'first' && mode !== 'unlearned') problems.push(pos(modeNode ?? newValue).problem(`new_value.mode ${JSON.stringify(mode)} is not first or unlearned`))
        const fields = seqOfStrings(m.get('fields')?.value, 'new_value.fields', pos, problems)
        if (fields === undefined || fields.length === 0) problems.push(pos(newValue).problem('new_value needs fields: the values whose first appearance alerts'))
        const learn = m.get('learn')?.value
        rule.newValue = { fields: fields ?? [], learnSeconds: learn === undefined || learn === null ? 300 : seconds(learn, 'new_value.learn', pos, problems), mode: mode === 'unlearned' ? 'unlearned' : 'first', at: pos(newValue) }
      }
    }
    const threshold = get('threshold')
    if (threshold !== undefined) {
      if (!isMap(threshold)) problems.push(pos(threshold).problem('threshold is a map: sum (or count), by, window, over'))
      else {
        const m = mapOf(threshold)
        for (const key of m.keys()) if (!['sum', 'by', 'window', 'over'].includes(key)) problems.push(pos(m.get(key)?.key).problem(`unknown field ${key} in threshold (allowed: sum, by, window, over)`))
        const sumNode = m.get('sum')?.value ?? undefined
        const sum = sumNode === undefined ? undefined : isScalar(sumNode) && typeof sumNode.value === 'string' ? { value: sumNode.value, at: pos(sumNode) } : undefined
        if (sumNode !== undefined && sumNode !== null && sum === undefined) problems.push(pos(sumNode).problem('threshold.sum must be a field name'))
        const overNode = m.get('over')?.value
        const over = isScalar(overNode) ? Number(overNode.value) : NaN
        if (!Number.isFinite(over)) problems.push(pos(overNode ?? threshold).problem('threshold needs over: the number (of events, or of the summed field) that fires it'))
        const windowNode = m.get('window')?.value
        rule.threshold = {
          sum,
          by: seqOfStrings(m.get('by')?.value, 'threshold.by', pos, problems) ?? [],
          windowSeconds: windowNode === undefined || windowNode === null ? 60 : seconds(windowNode, 'threshold.window', pos, problems),
          over,
          at: pos(threshold),
        }
      }
    }
    items.push(rule)
  }
  return { file, items, problems }
}

function mapOf (node: YAMLMap): Map<string, Pair<Scalar, Node>> {
  const out = new Map<string, Pair<Scalar, Node>>()
  for (const pair of (node as YAMLMap<Scalar, Node>).items) out.set(String(pair.key.value), pair)
  return out
}

function seqOfStrings (node: Node | undefined | null, what: string, pos: (n: Node | undefined) => Position, problems: RuleProblem[]): Array<Located<string>> | undefined {
  if (node === undefined || node === null) return undefined
  if (isScalar(node) && typeof node.value === 'string') return [{ value: node.value, at: pos(node) }]
  if (!isSeq(node)) { problems.push(pos(node).problem(`${what} must be a field name or a list of them`)); return undefined }
  const out: Array<Located<string>> = []
  for (const item of node.items) {
    if (isScalar(item) && typeof item.value === 'string') out.push({ value: item.value, at: pos(item) })
    else problems.push(pos(item as Node).problem(`${what} items must be field names`))
  }
  return out
}

/** A duration: a number of seconds or `500ms`, `30s`, `5m`, `2h`, `1d`. */
function seconds (node: Node, what: string, pos: (n: Node | undefined) => Position, problems: RuleProblem[]): number {
  const text = isScalar(node) ? String(node.value) : ''
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text)
  if (m === null) { problems.push(pos(node).problem(`${what} must be a duration (seconds, or like 30s, 5m, 2h)`)); return 0 }
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' ?? 's'] ?? 1
  return Number(m[1]) * scale
}

function overrides (node: Node | undefined, allowed: string[], pos: (n: Node | undefined) => Position, problems: RuleProblem[]): Record<string, 'append' | 'replace'> {
  const out: Record<string, 'append' | 'replace'> = {}
  if (node === undefined) return out
  if (!isMap(node)) { problems.push(pos(node).problem('override is a map of field: append|replace')); return out }
  for (const pair of (node as YAMLMap<Scalar, Node>).items) {
    const key = String(pair.key.value)
    const how = isScalar(pair.value) ? pair.value.value : undefined
    if (!allowed.includes(key)) problems.push(pos(pair.key).problem(`override of ${key} is not possible (allowed: ${allowed.join(', ')})`))
    else if (how !== 'append' && how !== 'replace') problems.push(pos(pair.value ?? pair.key).problem(`override ${key}: must be append or replace`))
    else out[key] = how
  }
  return out
}

function readExceptions (node: Node, pos: (n: Node | undefined) => Position, problems: RuleProblem[]): ExceptionItem[] {
  if (!isSeq(node)) { problems.push(pos(node).problem('exceptions is a list of {name, fields, comps, values}')); return [] }
  const out: ExceptionItem[] = []
  for (const item of node.items) {
    const at = pos(item as Node)
    if (!isMap(item)) { problems.push(at.problem('an exception is a map: name, fields, comps, values')); continue }
    const m = mapOf(item)
    for (const key of m.keys()) if (!['name', 'fields', 'comps', 'values'].includes(key)) problems.push(pos(m.get(key)?.key).problem(`unknown field ${key} in exception (allowed: name, fields, comps, values)`))
    const nameNode = m.get('name')?.value
    if (!isScalar(nameNode) || typeof nameNode.value !== 'string') { problems.push(at.problem('an exception needs a name')); continue }
    // No fields is allowed here: appended to a rule's exception of the same name, it adds values
    // to it (rule-set.ts); anywhere else the rule set reports it.
    const fields = seqOfStrings(m.get('fields')?.value, 'exception fields', pos, problems) ?? []
    const comps = seqOfStrings(m.get('comps')?.value, 'exception comps', pos, problems) ?? fields.map((f) => ({ value: '=', at: f.at }))
    const valuesNode = m.get('values')?.value
    const values: Array<Array<Located<string>>> = []
    if (valuesNode !== undefined && valuesNode !== null) {
      if (!isSeq(valuesNode)) problems.push(pos(valuesNode).problem('exception values is a list of tuples, one value per field'))
      else {
        for (const tuple of valuesNode.items) {
          const row = isSeq(tuple)
            ? tuple.items.map((v) => ({ value: isScalar(v) ? String(v.value) : '', at: pos(v as Node) }))
            : isScalar(tuple) ? [{ value: String(tuple.value), at: pos(tuple) }] : []
          values.push(row)
        }
      }
    }
    out.push({ name: nameNode.value, fields, comps, values, at })
  }
  return out
}
