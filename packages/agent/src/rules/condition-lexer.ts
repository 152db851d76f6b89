/**
 * Tokens of the condition language (Falco's shape): parentheses, commas, the comparison
 * operators, quoted strings, and words. A word is anything else up to whitespace, a parenthesis,
 * a comma, a quote or an operator character, so field names (`proc.name`,
 * `ct.request.containerDefinitions[*].privileged`), bare values (`/bin/sh`, `169.254.169.254`,
 * `*.sh`, `10.0.0.0/8`), numbers, keywords and list or macro names are all words; the parser
 * decides which is which by position. Every token carries its offset in the condition text so
 * errors can point at it.
 */

export type TokenType = '(' | ')' | ',' | 'op' | 'string' | 'word' | 'end'

export interface Token {
  type: TokenType
  /** The operator, the word, or the string's value (escapes resolved). */
  text: string
  /** Offset in the condition text. */
  at: number
  /** Length in the condition text (quotes included). */
  length: number
}

export class ConditionSyntaxError extends Error {
  readonly at: number
  constructor (message: string, at: number) {
    super(message)
    this.name = 'ConditionSyntaxError'
    this.at = at
  }
}

const OPERATORS = ['!=', '<=', '>=', '=', '<', '>']

function isWordChar (c: string): boolean {
  return !/[\s(),'"=!<>]/.test(c)
}

export function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) { i++; continue }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, text: c, at: i, length: 1 })
      i++
      continue
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i))
    if (op !== undefined) {
      tokens.push({ type: 'op', text: op, at: i, length: op.length })
      i += op.length
      continue
    }
    if (c === '!') throw new ConditionSyntaxError("'!' must be followed by '=' (use 'not' to negate)", i)
    if (c === '"' || c === "'") {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw new ConditionSyntaxError(`unterminated string (opened by ${c})`, i)
        const d = text[j] as string
        if (d === c) break
        if (d === '\\' && j + 1 < text.length) {
          const e = text[j + 1] as string
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e
          j += 2
          continue
        }
        value += d
        j++
      }
      tokens.push({ type: 'string', text: value, at: i, length: j + 1 - i })
      i = j + 1
      continue
    }
    let j = i
    while (j < text.length && isWordChar(text[j] as string)) j++
    tokens.push({ type: 'word', text: text.slice(i, j), at: i, length: j - i })
    i = j
  }
  tokens.push({ type: 'end', text: '', at: text.length, length: 0 })
  return tokens
}
