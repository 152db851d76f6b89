/**
 * Condition text → syntax tree. The grammar (Falco's):
 *
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | primary
 *   primary := '(' expr ')' | FIELD 'exists' | FIELD OP value | FIELD 'in' list | MACRO
 *   OP      := = != < <= > >= contains icontains startswith endswith glob cidr
 *   value   := WORD | STRING | list          list := '(' value (',' value)* ')'
 *
 * A word followed by an operator is a field; a word standing alone is a macro name. Words inside
 * a list may name a `list` item, expanded when the condition is compiled. Nothing here knows
 * which fields or macros exist: compile-condition.ts checks that.
 */
import { ConditionSyntaxError, tokenize, type Token } from './condition-lexer'

export const COMPARE_OPS = ['=', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'cidr'] as const
export type CompareOp = typeof COMPARE_OPS[number]

export interface Located { at: number, length: number }
export interface Literal extends Located { text: string, quoted: boolean }
export interface FieldRef extends Located { name: string }

export type Expr =
  | { type: 'and' | 'or', left: Expr, right: Expr }
  | { type: 'not', expr: Expr }
  | { type: 'macro', name: string, at: number, length: number }
  | { type: 'compare', field: FieldRef, op: CompareOp, opAt: number, values: Literal[], list: boolean }
  | { type: 'exists', field: FieldRef }

/**
 * The deepest tree a condition may make (and/or chains count one level per term, `not` one per
 * `not`), and the most parentheses and `not`s open at once. The compiler and the compiled
 * predicate recurse once per level: a condition of some thousands of terms in a row would
 * overflow the stack at load or, worse, on every event. Longer alternatives belong in a list
 * (`in (…)`) or split into macros.
 */
export const MAX_DEPTH = 500
export const MAX_NESTING = 100

const KEYWORDS = new Set(['and', 'or', 'not', 'exists', ...COMPARE_OPS])
const WORD_OPS = new Set<string>(COMPARE_OPS.filter((op) => /^[a-z]/.test(op)))

export function parseCondition (text: string): Expr {
  const tokens = tokenize(text)
  let i = 0
  const peek = (): Token => tokens[i] as Token
  const next = (): Token => tokens[i++] as Token
  const isWord = (t: Token, word: string): boolean => t.type === 'word' && t.text === word
  const describe = (t: Token): string => t.type === 'end' ? 'the end of the condition' : t.type === 'string' ? `the string ${JSON.stringify(t.text)}` : `'${t.text}'`
  /** Depth of each and/or/not node made (leaves are 1). */
  const depths = new Map<Expr, number>()
  const depthOf = (e: Expr): number => depths.get(e) ?? 1
  let nesting = 0
  const node = (e: Expr, depth: number, at: Token): Expr => {
    if (depth > MAX_DEPTH) throw new ConditionSyntaxError(`the condition nests more than ${MAX_DEPTH} deep here (terms joined by and/or count one each): use a list with in (…), or macros`, at.at)
    depths.set(e, depth)
    return e
  }
  const open = (t: Token): void => {
    if (++nesting > MAX_NESTING) throw new ConditionSyntaxError(`more than ${MAX_NESTING} parentheses and nots open at once`, t.at)
  }

  function expr (): Expr {
    let left = and()
    while (isWord(peek(), 'or')) {
      const op = next()
      const right = and()
      left = node({ type: 'or', left, right }, 1 + Math.max(depthOf(left), depthOf(right)), op)
    }
    return left
  }
  function and (): Expr {
    let left = unary()
    while (isWord(peek(), 'and')) {
      const op = next()
      const right = unary()
      left = node({ type: 'and', left, right }, 1 + Math.max(depthOf(left), depthOf(right)), op)
    }
    return left
  }
  function unary (): Expr {
    if (isWord(peek(), 'not')) {
      const op = next()
      open(op)
      const inner = unary()
      nesting--
      return node({ type: 'not', expr: inner }, 1 + depthOf(inner), op)
    }
    return primary()
  }
  function primary (): Expr {
    const t = next()
    if (t.type === '(') {
      open(t)
      const inner = expr()
      nesting--
      const close = next()
      if (close.type !== ')') throw new ConditionSyntaxError(`expected ')' to close the '(' at offset ${t.at}, found ${describe(close)}`, close.at)
      return inner
    }
    if (t.type !== 'word' || KEYWORDS.has(t.text)) {
      throw new ConditionSyntaxError(`expected a field, a macro or '(', found ${describe(t)}`, t.at)
    }
    const after = peek()
    if (isWord(after, 'exists')) {
      next()
      return { type: 'exists', field: { name: t.text, at: t.at, length: t.length } }
    }
    const isOp = after.type === 'op' || (after.type === 'word' && WORD_OPS.has(after.text))
    if (!isOp) return { type: 'macro', name: t.text, at: t.at, length: t.length }
    next()
    const op = after.text as CompareOp
    const field = { name: t.text, at: t.at, length: t.length }
    if (peek().type === '(') {
      const open = next()
      const values: Literal[] = []
      if (peek().type !== ')') {
        for (;;) {
          values.push(literal())
          const sep = next()
          if (sep.type === ')') break
          if (sep.type !== ',') throw new ConditionSyntaxError(`expected ',' or ')' in the list opened at offset ${open.at}, found ${describe(sep)}`, sep.at)
        }
      } else {
        next()
      }
      return { type: 'compare', field, op, opAt: after.at, values, list: true }
    }
    if (op === 'in') throw new ConditionSyntaxError(`'in' takes a parenthesised list, like in (a, b)`, peek().at)
    return { type: 'compare', field, op, opAt: after.at, values: [literal()], list: false }
  }
  function literal (): Literal {
    const t = next()
    if (t.type === 'string') return { text: t.text, quoted: true, at: t.at, length: t.length }
    if (t.type === 'word') return { text: t.text, quoted: false, at: t.at, length: t.length }
    throw new ConditionSyntaxError(`expected a value, found ${describe(t)}`, t.at)
  }

  const tree = expr()
  const rest = peek()
  if (rest.type !== 'end') throw new ConditionSyntaxError(`unexpected ${describe(rest)} (missing 'and' or 'or'?)`, rest.at)
  return tree
}

/** Every macro name a tree refers to (for dependency checks). */
export function macrosOf (tree: Expr, out: Set<string> = new Set()): Set<string> {
  switch (tree.type) {
    case 'and': case 'or': macrosOf(tree.left, out); macrosOf(tree.right, out); break
    case 'not': macrosOf(tree.expr, out); break
    case 'macro': out.add(tree.name); break
    default: break
  }
  return out
}
