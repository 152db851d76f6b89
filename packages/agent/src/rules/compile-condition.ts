/**
 * Syntax tree → a predicate over events, once per rule load: fields are looked up, literals
 * checked against the field's type and turned into what the comparison needs (numbers, sets,
 * regular expressions, CIDR ranges, canonical addresses), lists expanded and macros linked. At
 * run time a condition is a tree of closures: no parsing, no lookups by name.
 *
 * Also worked out here: which event kinds a condition can match at all (from `evt.kind` terms
 * it requires), so the engine evaluates a rule only for those kinds.
 */
import { formatIPv4, formatIPv6, parseIP } from '../net/ip-text'
import { inCidr, parseCidr, type Cidr } from '../net/task-nets'
import type { CompareOp, Expr, FieldRef, Literal } from './condition-parser'
import { lookupField, type AnyEvent, type FieldDef } from './fields'
import { compileGlob } from './glob'

export type Predicate = (event: AnyEvent) => boolean

export interface CompiledCondition {
  test: Predicate
  /** The event kinds it can match; undefined = any kind. */
  kinds: ReadonlySet<string> | undefined
  /** The fields it reads (macros included). */
  fields: ReadonlySet<string>
  /** The CloudTrail event names it can match; undefined = any (the engine indexes on it). */
  ctNames?: ReadonlySet<string> | undefined
}

export interface CompileScope {
  lists: ReadonlyMap<string, readonly string[]>
  macros: ReadonlyMap<string, CompiledCondition>
}

/** A condition that does not compile: the message and where in the condition text. */
export class ConditionError extends Error {
  readonly at: number
  readonly length: number
  constructor (message: string, at: number, length: number) {
    super(message)
    this.name = 'ConditionError'
    this.at = at
    this.length = length
  }
}

const OPS_BY_TYPE: Record<FieldDef['type'], ReadonlySet<CompareOp>> = {
  string: new Set(['=', '!=', 'in', 'contains', 'icontains', 'startswith', 'endswith', 'glob']),
  number: new Set(['=', '!=', '<', '<=', '>', '>=', 'in']),
  bool: new Set(['=', '!=']),
  ip: new Set(['=', '!=', 'in', 'cidr']),
  any: new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'icontains', 'startswith', 'endswith', 'glob']),
}

export function compileCondition (tree: Expr, scope: CompileScope): CompiledCondition {
  const fields = new Set<string>()
  const test = build(tree, scope, fields)
  return { test, kinds: kindsOf(tree, scope), fields, ctNames: required(tree, scope, 'ct.name', (m) => m.ctNames) }
}

function build (tree: Expr, scope: CompileScope, fields: Set<string>): Predicate {
  switch (tree.type) {
    case 'and': {
      const left = build(tree.left, scope, fields)
      const right = build(tree.right, scope, fields)
      return (e) => left(e) && right(e)
    }
    case 'or': {
      const left = build(tree.left, scope, fields)
      const right = build(tree.right, scope, fields)
      return (e) => left(e) || right(e)
    }
    case 'not': {
      const inner = build(tree.expr, scope, fields)
      return (e) => !inner(e)
    }
    case 'macro': {
      const macro = scope.macros.get(tree.name)
      if (macro === undefined) {
        const hint = scope.lists.has(tree.name) ? ` (${tree.name} is a list: use it inside in (…))` : lookupField(tree.name) !== undefined ? ' (a field needs an operator)' : ''
        throw new ConditionError(`undefined macro ${tree.name}${hint}`, tree.at, tree.length)
      }
      for (const f of macro.fields) fields.add(f)
      return macro.test
    }
    case 'exists': {
      const field = fieldOf(tree.field)
      fields.add(field.name)
      const get = field.get
      return (e) => { const v = get(e); return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) }
    }
    case 'compare': {
      const field = fieldOf(tree.field)
      fields.add(field.name)
      if (!OPS_BY_TYPE[field.type].has(tree.op)) {
        throw new ConditionError(`operator ${tree.op} does not apply to ${field.name} (a ${field.type}; it takes ${[...OPS_BY_TYPE[field.type]].join(' ')})`, tree.opAt, tree.op.length)
      }
      if (tree.op === 'in' && !tree.list) throw new ConditionError('in takes a parenthesised list', tree.opAt, 2)
      const values = expand(tree.values, scope, tree.list)
      if (values.length === 0) return () => false
      const one = matcher(field, tree.op, values)
      const get = field.get
      if (tree.op === '!=') {
        // Not equal to any of them; still false when the field is absent.
        return (e) => { const v = get(e); if (v === undefined || v === null) return false; return Array.isArray(v) ? v.every((x) => !one(x)) : !one(v) }
      }
      return (e) => { const v = get(e); if (v === undefined || v === null) return false; return Array.isArray(v) ? v.some(one) : one(v) }
    }
  }
}

function fieldOf (ref: FieldRef): FieldDef {
  const field = lookupField(ref.name)
  if (field === undefined) throw new ConditionError(`unknown field ${ref.name}`, ref.at, ref.length)
  return field
}

/** Literals with list names (unquoted words naming a `list`) replaced by the list's items. */
function expand (values: Literal[], scope: CompileScope, inList: boolean): Literal[] {
  const out: Literal[] = []
  for (const v of values) {
    const items = !v.quoted && inList ? scope.lists.get(v.text) : undefined
    if (items !== undefined) {
      for (const item of items) out.push({ ...v, text: item, quoted: true })
      continue
    }
    // A bare word shaped like a list name (snake_case, as lists are named) that names no list is
    // almost always a misspelt list, which would silently match nothing: say so. A value that
    // really looks like that can be quoted.
    if (inList && !v.quoted && LIST_NAME.test(v.text)) throw new ConditionError(`undefined list ${v.text} (quote it if it is a value)`, v.at, v.length)
    out.push(v)
  }
  return out
}

const LIST_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/

/** One value of the field (not undefined, not an array) → whether it matches any of `values`. */
function matcher (field: FieldDef, op: CompareOp, values: Literal[]): (v: unknown) => boolean {
  const eq = op === '=' || op === '!=' || op === 'in'
  switch (field.type) {
    case 'number': {
      const numbers = values.map((v) => {
        const n = Number(v.text)
        if (v.text.trim() === '' || !Number.isFinite(n)) throw new ConditionError(`${field.name} is a number; ${JSON.stringify(v.text)} is not`, v.at, v.length)
        return n
      })
      if (eq) { const set = new Set(numbers); return (v) => set.has(v as number) }
      return numeric(op, numbers)
    }
    case 'bool': {
      const wanted = values.map((v) => {
        if (v.text !== 'true' && v.text !== 'false') throw new ConditionError(`${field.name} is true or false; ${JSON.stringify(v.text)} is neither`, v.at, v.length)
        return v.text === 'true'
      })
      return (v) => wanted.includes(v as boolean)
    }
    case 'ip': {
      if (op === 'cidr' || op === 'in') {
        const ranges: Cidr[] = values.map((v) => {
          const cidr = parseCidr(v.text)
          if (cidr === undefined) throw new ConditionError(`${JSON.stringify(v.text)} is not an address or CIDR range`, v.at, v.length)
          return cidr
        })
        return (v) => {
          const bytes = typeof v === 'string' ? parseIP(v) : undefined
          return bytes !== undefined && ranges.some((r) => r.bytes.length === bytes.length && inCidr(bytes, r))
        }
      }
      const set = new Set(values.map((v) => {
        const bytes = parseIP(v.text)
        if (bytes === undefined) throw new ConditionError(`${JSON.stringify(v.text)} is not an IP address`, v.at, v.length)
        return bytes.length === 4 ? formatIPv4(bytes, 0) : formatIPv6(bytes, 0)
      }))
      return (v) => set.has(v as string)
    }
    case 'string':
    case 'any': {
      const texts = values.map((v) => v.text)
      const str = (v: unknown): string => typeof v === 'string' ? v : String(v)
      switch (op) {
        case '=': case '!=': case 'in': { const set = new Set(texts); return (v) => set.has(str(v)) }
        case 'contains': return (v) => { const s = str(v); return texts.some((t) => s.includes(t)) }
        case 'icontains': { const lower = texts.map((t) => t.toLowerCase()); return (v) => { const s = str(v).toLowerCase(); return lower.some((t) => s.includes(t)) } }
        case 'startswith': return (v) => { const s = str(v); return texts.some((t) => s.startsWith(t)) }
        case 'endswith': return (v) => { const s = str(v); return texts.some((t) => s.endsWith(t)) }
        case 'glob': {
          const res = values.map((v) => {
            const re = compileGlob(v.text)
            if (re === undefined) throw new ConditionError(`${JSON.stringify(v.text)} is not a glob (an unclosed [, or a range out of order)`, v.at, v.length)
            return re
          })
          return (v) => { const s = str(v); return res.some((re) => re.test(s)) }
        }
        default: {
          const numbers = values.map((v) => {
            const n = Number(v.text)
            if (!Number.isFinite(n)) throw new ConditionError(`${op} compares numbers; ${JSON.stringify(v.text)} is not one`, v.at, v.length)
            return n
          })
          const cmp = numeric(op, numbers)
          return (v) => { const n = typeof v === 'number' ? v : Number(v); return Number.isFinite(n) && cmp(n) }
        }
      }
    }
  }
}

function numeric (op: CompareOp, numbers: number[]): (v: unknown) => boolean {
  switch (op) {
    case '<': return (v) => numbers.some((n) => (v as number) < n)
    case '<=': return (v) => numbers.some((n) => (v as number) <= n)
    case '>': return (v) => numbers.some((n) => (v as number) > n)
    case '>=': return (v) => numbers.some((n) => (v as number) >= n)
    default: throw new Error(`not a numeric operator: ${op}`)
  }
}

function kindsOf (tree: Expr, scope: CompileScope): ReadonlySet<string> | undefined {
  return required(tree, scope, 'evt.kind', (m) => m.kinds)
}

/**
 * The values of `field` a condition can match at all, from the `field = X` / `field in (...)`
 * terms it requires (through `and`, `or` and macros); undefined when it does not pin the field.
 */
function required (tree: Expr, scope: CompileScope, field: string, ofMacro: (m: CompiledCondition) => ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  switch (tree.type) {
    case 'and': {
      const left = required(tree.left, scope, field, ofMacro)
      const right = required(tree.right, scope, field, ofMacro)
      if (left === undefined) return right
      if (right === undefined) return left
      return new Set([...left].filter((k) => right.has(k)))
    }
    case 'or': {
      const left = required(tree.left, scope, field, ofMacro)
      const right = required(tree.right, scope, field, ofMacro)
      return left === undefined || right === undefined ? undefined : new Set([...left, ...right])
    }
    case 'macro': { const m = scope.macros.get(tree.name); return m === undefined ? undefined : ofMacro(m) }
    case 'compare':
      if (tree.field.name === field && (tree.op === '=' || tree.op === 'in')) return new Set(expand(tree.values, scope, tree.list).map((v) => v.text))
      return undefined
    default: return undefined
  }
}
