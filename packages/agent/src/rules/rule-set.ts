/**
 * Rule files → one compiled rule set. Items are merged in order across files, the way Falco's
 * are: a later `list` or `macro` of the same name replaces the earlier one, or adds to it with
 * `append: true` / `override: {items|condition: append}`; a later `rule` replaces the earlier
 * one, changes only the keys its `override` names (append or replace), appends its condition and
 * exceptions with `append: true`, or just switches it with `enabled`. Then lists are expanded,
 * macros compiled (in dependency order, cycles refused), and every rule compiled: its condition
 * with its exceptions as `and not (…)`, its output, its dedup key and its stateful part.
 *
 * Every problem is collected with its file:line:col; a set with problems is not used by a
 * running agent (it keeps the last good one).
 */
import { ConditionSyntaxError } from './condition-lexer'
import { parseCondition, type CompareOp, type Expr, type Literal } from './condition-parser'
import { compileCondition, ConditionError, type CompiledCondition, type CompileScope, type Predicate } from './compile-condition'
import { lookupField, type AnyEvent } from './fields'
import { compileOutput, OutputError, show, type CompiledOutput } from './output-template'
import type { ExceptionItem, Located, Position, Priority, RuleFile, RuleItem, RuleProblem } from './rule-file'

export interface CompiledRule {
  name: string
  desc: string
  priority: Priority
  tags: string[]
  enabled: boolean
  /** Event kinds it can fire on; undefined = any. */
  kinds: ReadonlySet<string> | undefined
  /** CloudTrail event names it can fire on; undefined = any. */
  ctNames: ReadonlySet<string> | undefined
  test: Predicate
  output: CompiledOutput
  /** Repeats with the same key inside the fold window become one alert with a count. */
  dedupKey: (event: AnyEvent) => string
  foldMs: number
  /** Fires only the first time this tuple is seen after the learning window. */
  newValue?: { key: (event: AnyEvent) => string | undefined, learnMs: number, fields: string[], mode: 'first' | 'unlearned' }
  /** Fires when the sum (or count) per group inside the window goes over the limit. */
  threshold?: { amount: (event: AnyEvent) => number, group: (event: AnyEvent) => string, windowMs: number, over: number }
  file: string
}

export interface RuleSet {
  rules: CompiledRule[]
  lists: number
  macros: number
  problems: RuleProblem[]
}

interface Part { text: string, at: Position }
interface RuleState {
  name: string
  file: string
  at: Position
  desc: string
  condition: Part[]
  output: Located<string> | undefined
  priority: Priority | undefined
  tags: string[]
  enabled: boolean
  exceptions: ExceptionItem[]
  dedup: Array<Located<string>> | undefined
  foldSeconds: number
  newValue: RuleItem['newValue']
  threshold: RuleItem['threshold']
}

const DEFAULT_FOLD_SECONDS = 60
/** The most items a list may hold once the lists it names are expanded. */
export const MAX_LIST_ITEMS = 100_000
/**
 * Macros may name macros at most this deep: every level is a call when a rule is compiled and when
 * it is evaluated, and a chain of thousands (a generated rule file) would overflow the stack.
 */
export const MAX_MACRO_DEPTH = 64

/** Which event kinds carry each field namespace (for exception fields no event can have). */
const NAMESPACE_KINDS: Record<string, readonly string[]> = {
  proc: ['process.start', 'process.exit', 'process.exec', 'net.flow', 'login.ssh'],
  exec: ['process.exec'],
  net: ['net.flow'],
  http: ['http.request', 'http.client'],
  attack: ['attack'],
  fs: ['fs.op'],
  login: ['login.ssh'],
  ct: ['cloudtrail'],
  sshd: ['sshd.presence'],
}

export function buildRuleSet (files: RuleFile[]): RuleSet {
  const problems: RuleProblem[] = files.flatMap((f) => f.problems)
  const lists = new Map<string, { items: string[], at: Position }>()
  const macros = new Map<string, { parts: Part[], at: Position }>()
  const rules = new Map<string, RuleState>()

  for (const file of files) {
    for (const item of file.items) {
      if (item.type === 'list') {
        const had = lists.get(item.name)
        if (item.append && had === undefined) problems.push(item.at.problem(`list ${item.name} appends to a list that is not defined`))
        else if (item.append && had !== undefined) had.items.push(...item.items)
        else lists.set(item.name, { items: [...item.items], at: item.at })
      } else if (item.type === 'macro') {
        if (item.condition === undefined) continue
        const had = macros.get(item.name)
        const part = { text: item.condition.value, at: item.condition.at }
        if (item.append && had === undefined) problems.push(item.at.problem(`macro ${item.name} appends to a macro that is not defined`))
        else if (item.append && had !== undefined) had.parts.push(part)
        else macros.set(item.name, { parts: [part], at: item.at })
      } else {
        mergeRule(rules, item, file.file, problems)
      }
    }
  }

  // Lists may name other lists: at most MAX_LIST_ITEMS items once expanded (each naming the
  // next twice, 20 lists in a 600-byte file would make a million).
  const expandedLists = new Map<string, string[]>()
  const expandList = (name: string, seen: string[]): string[] => {
    const done = expandedLists.get(name)
    if (done !== undefined) return done
    const out: string[] = []
    for (const item of lists.get(name)?.items ?? []) {
      for (const x of lists.has(item) && !seen.includes(item) ? expandList(item, [...seen, item]) : [item]) {
        if (out.length === MAX_LIST_ITEMS) break
        out.push(x)
      }
      if (out.length === MAX_LIST_ITEMS) {
        problems.push((lists.get(name) as { at: Position }).at.problem(`list ${name} expands to more than ${MAX_LIST_ITEMS} items (through the lists it names)`))
        break
      }
    }
    expandedLists.set(name, out)
    return out
  }
  for (const name of lists.keys()) expandList(name, [name])

  const scope: { lists: Map<string, readonly string[]>, macros: Map<string, CompiledCondition> } = { lists: expandedLists, macros: new Map() }
  const compiling: string[] = []
  const depth = new Map<string, number>()
  /** A macro that cannot be used: reported, and a never-true condition in its place. */
  const refuse = (name: string, at: Position, message: string): void => {
    problems.push(at.problem(message))
    scope.macros.set(name, { test: () => false, kinds: undefined, fields: new Set() })
    depth.set(name, 0)
  }
  const compileMacro = (name: string): void => {
    if (scope.macros.has(name)) return
    const macro = macros.get(name)
    if (macro === undefined) return
    if (compiling.includes(name)) {
      refuse(name, macro.at, `macro ${name} refers to itself (${[...compiling.slice(compiling.indexOf(name)), name].join(' → ')})`)
      return
    }
    // Compiling in file order a long chain never recurses deep, but defined the other way round
    // it would, one call per macro: refused at the same depth as below.
    if (compiling.length >= MAX_MACRO_DEPTH) {
      refuse(name, macro.at, `macro ${name} is more than ${MAX_MACRO_DEPTH} macros deep (${compiling[0] ?? name} → … → ${name}); flatten the chain`)
      return
    }
    compiling.push(name)
    const parsed = parse(macro.parts, problems)
    const used = parsed === undefined ? [] : [...macroNames(parsed)]
    for (const u of used) compileMacro(u)
    compiling.pop()
    if (scope.macros.has(name)) return // set while refusing a cycle
    // How many macros deep this one reaches, however the chain was compiled (in file order, a
    // long chain never recurses here, but its predicates still nest when a rule is evaluated).
    const reach = 1 + Math.max(0, ...used.map((u) => depth.get(u) ?? 0))
    depth.set(name, reach)
    if (reach > MAX_MACRO_DEPTH) {
      refuse(name, macro.at, `macro ${name} is more than ${MAX_MACRO_DEPTH} macros deep (through the macros it names); flatten the chain`)
      return
    }
    const compiled = parsed === undefined ? undefined : compileParts(parsed, macro.parts, scope, problems)
    scope.macros.set(name, compiled ?? { test: () => false, kinds: undefined, fields: new Set() })
  }
  for (const name of macros.keys()) compileMacro(name)

  const compiled: CompiledRule[] = []
  for (const state of rules.values()) {
    const rule = compileRule(state, scope, problems)
    if (rule !== undefined) compiled.push(rule)
  }
  return { rules: compiled, lists: lists.size, macros: macros.size, problems }
}

function mergeRule (rules: Map<string, RuleState>, item: RuleItem, file: string, problems: RuleProblem[]): void {
  const had = rules.get(item.name)
  const overriding = Object.keys(item.override).length > 0
  const defines = item.condition !== undefined || item.output !== undefined || item.priority !== undefined || item.desc !== undefined
  if (had === undefined) {
    if (overriding || item.append || !defines) {
      problems.push(item.at.problem(`rule ${item.name} changes a rule that is not defined (define it with condition, output and priority first)`))
      return
    }
  } else if (item.append || overriding) {
    const how = (key: string): 'append' | 'replace' | undefined => item.append ? (key === 'condition' || key === 'exceptions' ? 'append' : undefined) : item.override[key]
    for (const key of ['desc', 'condition', 'output', 'priority', 'tags', 'enabled', 'exceptions', 'dedup', 'fold', 'new_value', 'threshold']) {
      const mode = how(key)
      const given = ({ desc: item.desc, condition: item.condition, output: item.output, priority: item.priority, tags: item.tags, enabled: item.enabled, exceptions: item.exceptions, dedup: item.dedup, fold: item.foldSeconds, new_value: item.newValue, threshold: item.threshold } as Record<string, unknown>)[key]
      if (mode === undefined) {
        if (given !== undefined && key !== 'enabled') problems.push(item.at.problem(`rule ${item.name} sets ${key} without saying in override whether to append or replace it`))
        if (key === 'enabled' && item.enabled !== undefined) had.enabled = item.enabled
        continue
      }
      if (given === undefined) { problems.push(item.at.problem(`rule ${item.name} overrides ${key} but does not give it`)); continue }
      if (mode === 'append' && !['condition', 'tags', 'exceptions'].includes(key)) { problems.push(item.at.problem(`${key} can only be replaced, not appended`)); continue }
      switch (key) {
        case 'desc': had.desc = item.desc?.value ?? had.desc; break
        case 'condition': {
          const part = { text: (item.condition as Located<string>).value, at: (item.condition as Located<string>).at }
          had.condition = mode === 'append' ? [...had.condition, part] : [part]
          break
        }
        case 'output': had.output = item.output; break
        case 'priority': had.priority = item.priority?.value; break
        case 'tags': had.tags = mode === 'append' ? [...had.tags, ...(item.tags ?? [])] : [...(item.tags ?? [])]; break
        case 'enabled': had.enabled = item.enabled ?? had.enabled; break
        case 'exceptions': had.exceptions = mode === 'append' ? mergeExceptions(had.exceptions, item.exceptions ?? []) : [...(item.exceptions ?? [])]; break
        case 'dedup': had.dedup = item.dedup; break
        case 'fold': had.foldSeconds = item.foldSeconds ?? had.foldSeconds; break
        // Whole blocks: a shorter or longer learning window, another volume or window.
        case 'new_value': had.newValue = item.newValue; break
        case 'threshold': had.threshold = item.threshold; break
      }
    }
    return
  } else if (!defines) {
    if (item.enabled !== undefined) had.enabled = item.enabled
    return
  }
  // A new rule, or a whole replacement.
  if (item.condition === undefined) problems.push(item.at.problem(`rule ${item.name} needs a condition`))
  if (item.output === undefined) problems.push(item.at.problem(`rule ${item.name} needs an output`))
  if (item.priority === undefined) problems.push(item.at.problem(`rule ${item.name} needs a priority`))
  rules.set(item.name, {
    name: item.name,
    file,
    at: item.at,
    desc: item.desc?.value ?? '',
    condition: item.condition === undefined ? [] : [{ text: item.condition.value, at: item.condition.at }],
    output: item.output,
    priority: item.priority?.value,
    tags: item.tags ?? [],
    enabled: item.enabled ?? true,
    exceptions: item.exceptions ?? [],
    dedup: item.dedup,
    foldSeconds: item.foldSeconds ?? DEFAULT_FOLD_SECONDS,
    newValue: item.newValue,
    threshold: item.threshold,
  })
}

/** Appending exceptions: one with a known name adds its values; a new name is added whole. */
function mergeExceptions (had: ExceptionItem[], more: ExceptionItem[]): ExceptionItem[] {
  const out = had.map((e) => ({ ...e, values: [...e.values] }))
  for (const e of more) {
    const same = out.find((x) => x.name === e.name)
    if (same !== undefined && e.fields.length === 0) same.values.push(...e.values)
    else out.push(e)
  }
  return out
}

function joinParts (parts: Part[]): string {
  return parts.map((p) => p.text).join(' ')
}

/** Where offset `at` of the joined condition text is in the files. */
function locate (parts: Part[], at: number, token: string, message: string): RuleProblem {
  let start = 0
  for (const part of parts) {
    if (at <= start + part.text.length) return part.at.problem(message, part.at.inValue(at - start, token))
    start += part.text.length + 1
  }
  const last = parts[parts.length - 1] as Part
  return last.at.problem(message)
}

function parse (parts: Part[], problems: RuleProblem[]): Expr | undefined {
  const text = joinParts(parts)
  try {
    return parseCondition(text)
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err
    problems.push(locate(parts, err.at, text.slice(err.at).split(/\s/)[0] ?? '', `condition: ${err.message}`))
    return undefined
  }
}

function compileParts (tree: Expr, parts: Part[], scope: CompileScope, problems: RuleProblem[]): CompiledCondition | undefined {
  try {
    return compileCondition(tree, scope)
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err
    const text = joinParts(parts)
    problems.push(locate(parts, err.at, text.slice(err.at, err.at + err.length), `condition: ${err.message}`))
    return undefined
  }
}

function macroNames (tree: Expr, out: string[] = []): string[] {
  if (tree.type === 'and' || tree.type === 'or') { macroNames(tree.left, out); macroNames(tree.right, out) } else if (tree.type === 'not') macroNames(tree.expr, out)
  else if (tree.type === 'macro') out.push(tree.name)
  return out
}

const EXCEPTION_COMPS = new Set<CompareOp>(['=', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'cidr'])

function compileRule (state: RuleState, scope: CompileScope, problems: RuleProblem[]): CompiledRule | undefined {
  if (state.condition.length === 0 || state.output === undefined || state.priority === undefined) return undefined
  const before = problems.length
  const tree = parse(state.condition, problems)
  const condition = tree === undefined ? undefined : compileParts(tree, state.condition, scope, problems)
  let output: CompiledOutput | undefined
  try {
    output = compileOutput(state.output.value)
  } catch (err) {
    if (!(err instanceof OutputError)) throw err
    problems.push(state.output.at.problem(`output: ${err.message}`, state.output.at.inValue(err.at, state.output.value.slice(err.at, err.at + err.length))))
  }
  const exceptions = condition === undefined ? [] : compileExceptions(state, condition.kinds, scope, problems)
  const dedupFields = (state.dedup ?? []).map((f) => {
    const field = lookupField(f.value)
    if (field === undefined) problems.push(f.at.problem(`unknown field ${f.value} in dedup`))
    return field
  })
  const newValueFields = (state.newValue?.fields ?? []).map((f) => {
    const field = lookupField(f.value)
    if (field === undefined) problems.push(f.at.problem(`unknown field ${f.value} in new_value`))
    return field
  })
  const threshold = state.threshold
  const sumField = threshold?.sum === undefined ? undefined : lookupField(threshold.sum.value)
  if (threshold?.sum !== undefined && (sumField === undefined || sumField.type !== 'number')) {
    problems.push(threshold.sum.at.problem(sumField === undefined ? `unknown field ${threshold.sum.value} in threshold.sum` : `threshold.sum needs a number field; ${threshold.sum.value} is a ${sumField.type}`))
  }
  const byFields = (threshold?.by ?? []).map((f) => {
    const field = lookupField(f.value)
    if (field === undefined) problems.push(f.at.problem(`unknown field ${f.value} in threshold.by`))
    return field
  })
  if (problems.length > before || condition === undefined || output === undefined) return undefined

  const base = condition.test
  const test: Predicate = exceptions.length === 0 ? base : (e) => base(e) && !exceptions.some((x) => x(e))
  const rendered = output
  const dedupGetters = dedupFields.map((f) => f?.get as (e: AnyEvent) => unknown)
  const rule: CompiledRule = {
    name: state.name,
    desc: state.desc,
    priority: state.priority,
    tags: state.tags,
    enabled: state.enabled,
    kinds: condition.kinds,
    ctNames: condition.ctNames,
    test,
    output: rendered,
    dedupKey: dedupGetters.length === 0 ? (e) => rendered.render(e) : (e) => dedupGetters.map((g) => show(g(e))).join('\u0000'),
    foldMs: state.foldSeconds * 1000,
    file: state.file,
  }
  if (state.newValue !== undefined) {
    const getters = newValueFields.map((f) => f?.get as (e: AnyEvent) => unknown)
    rule.newValue = {
      fields: state.newValue.fields.map((f) => f.value),
      learnMs: state.newValue.learnSeconds * 1000,
      mode: state.newValue.mode,
      key: (e) => {
        const values = getters.map((g) => g(e))
        return values.some((v) => v === undefined || v === null) ? undefined : values.map(show).join('\u0000')
      },
    }
  }
  if (threshold !== undefined) {
    const sum = sumField?.get
    const by = byFields.map((f) => f?.get as (e: AnyEvent) => unknown)
    rule.threshold = {
      amount: sum === undefined ? () => 1 : (e) => { const v = sum(e); return typeof v === 'number' ? v : 0 },
      group: (e) => by.map((g) => show(g(e))).join('\u0000'),
      windowMs: threshold.windowSeconds * 1000,
      over: threshold.over,
    }
  }
  return rule
}

/** Each exception → a predicate true when the event matches one of its value tuples. */
function compileExceptions (state: RuleState, kinds: ReadonlySet<string> | undefined, scope: CompileScope, problems: RuleProblem[]): Predicate[] {
  const out: Predicate[] = []
  for (const exc of state.exceptions) {
    let ok = true
    if (exc.fields.length === 0) {
      problems.push(exc.at.problem(`exception ${exc.name} needs fields (or, appended with override: {exceptions: append}, the name of an exception the rule has)`))
      continue
    }
    if (exc.comps.length !== exc.fields.length) {
      problems.push(exc.at.problem(`exception ${exc.name}: ${exc.fields.length} fields but ${exc.comps.length} comps`))
      continue
    }
    for (const f of exc.fields) {
      const field = lookupField(f.value)
      if (field === undefined) { problems.push(f.at.problem(`exception ${exc.name}: unknown field ${f.value}`)); ok = false; continue }
      const carriers = NAMESPACE_KINDS[f.value.split('.')[0] as string]
      if (kinds !== undefined && carriers !== undefined && ![...kinds].some((k) => carriers.includes(k))) {
        problems.push(f.at.problem(`exception ${exc.name}: ${f.value} is never set on the events rule ${state.name} matches (${[...kinds].join(', ')}), so this exception can never apply`))
        ok = false
      }
    }
    for (const c of exc.comps) {
      if (!EXCEPTION_COMPS.has(c.value as CompareOp)) { problems.push(c.at.problem(`exception ${exc.name}: ${c.value} is not an operator`)); ok = false }
    }
    if (!ok) continue
    const tuples: Predicate[] = []
    for (const row of exc.values) {
      if (row.length !== exc.fields.length) {
        problems.push((row[0]?.at ?? exc.at).problem(`exception ${exc.name}: a value tuple has ${row.length} values for ${exc.fields.length} fields`))
        continue
      }
      let tree: Expr | undefined
      exc.fields.forEach((f, i) => {
        const op = (exc.comps[i] as Located<string>).value as CompareOp
        const v = row[i] as Located<string>
        const literal: Literal = { text: v.value, quoted: false, at: 0, length: 0 }
        const list = op === 'in' || scope.lists.has(v.value)
        const term: Expr = { type: 'compare', field: { name: f.value, at: 0, length: 0 }, op, opAt: 0, values: [literal], list }
        tree = tree === undefined ? term : { type: 'and', left: tree, right: term }
      })
      if (tree === undefined) continue
      try {
        tuples.push(compileCondition(tree, scope).test)
      } catch (err) {
        if (!(err instanceof ConditionError)) throw err
        problems.push((row[0] as Located<string>).at.problem(`exception ${exc.name}: ${err.message}`))
      }
    }
    if (tuples.length > 0) out.push((e) => tuples.some((t) => t(e)))
  }
  return out
}
