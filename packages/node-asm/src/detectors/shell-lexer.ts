/**
 * A small POSIX shell lexer: enough of `sh -c` parsing to tell, for each character of a command
 * line, whether the shell reads it as data or as syntax. It does not run or expand anything; it
 * marks operators, expansions, quote delimiters, escapes, word separators and comments, and lists
 * the words with whether each stands where the shell expects a command name. The injection check
 * then asks: does the span of the command line that came from an input hold any syntax?
 *
 * Not modelled (their characters count as data): here-documents, `case` patterns, arithmetic
 * `$(( ))` beyond its `$(`, bash's `$'...'`, globs, brace and tilde expansion.
 */

/** What the shell makes of one character of the command line. */
export const CharKind = {
  data: 0,
  /** `; & | ( ) < >` and newline outside quotes. */
  operator: 1,
  /** The `$` of `$(`, `${`, `$NAME`, and backticks (inside double quotes too). */
  expansion: 2,
  /** An opening or closing `'` or `"`. */
  quote: 3,
  /** A backslash that escapes the next character. */
  escape: 4,
  /** Blank outside quotes: ends a word. */
  separator: 5,
  /** `#` starting a comment. */
  comment: 6,
} as const
export type CharKind = (typeof CharKind)[keyof typeof CharKind]

export interface ShellWord {
  /** [start, end) in the command line, quotes included. */
  start: number
  end: number
  /** The first word of a simple command: the shell runs it as the program. */
  command: boolean
}

export interface ShellSyntax {
  kinds: Uint8Array
  /** For each quote delimiter, the index of its partner; -1 for an unterminated quote. */
  partners: Map<number, number>
  words: ShellWord[]
}

/** Operators after which the next word is a new command. `<` and `>` take a file name instead. */
const COMMAND_SEPARATORS = ';&|()\n'
const OPERATORS = ';&|()<>\n'

export function lexShell (line: string): ShellSyntax {
  const syntax: ShellSyntax = { kinds: new Uint8Array(line.length), partners: new Map(), words: [] }
  let wordStart = -1
  let commandNext = true
  let i = 0
  while (i < line.length) {
    const c = line[i] as string
    if (c === ' ' || c === '\t' || OPERATORS.includes(c)) {
      if (wordStart !== -1) { syntax.words.push({ start: wordStart, end: i, command: commandNext }); commandNext = false; wordStart = -1 }
      syntax.kinds[i] = c === ' ' || c === '\t' ? CharKind.separator : CharKind.operator
      if (COMMAND_SEPARATORS.includes(c)) commandNext = true
      i++
      continue
    }
    if (c === '#' && wordStart === -1) { i = skipComment(syntax, line, i); continue }
    if (wordStart === -1) wordStart = i
    i = lexWordChar(syntax, line, i)
  }
  if (wordStart !== -1) syntax.words.push({ start: wordStart, end: line.length, command: commandNext })
  return syntax
}

/** Marks `#` and skips to the end of the line: nothing in a comment runs. */
function skipComment (syntax: ShellSyntax, line: string, i: number): number {
  syntax.kinds[i] = CharKind.comment
  const end = line.indexOf('\n', i)
  return end === -1 ? line.length : end
}

/** Lexes the word character at `i` (quotes as a whole); returns the index after it. */
function lexWordChar (syntax: ShellSyntax, line: string, i: number): number {
  const c = line[i]
  if (c === '\\') {
    syntax.kinds[i] = CharKind.escape
    return i + 2
  }
  if (c === '\'') return lexSingleQuoted(syntax, line, i)
  if (c === '"') return lexDoubleQuoted(syntax, line, i)
  if (isExpansion(line, i)) syntax.kinds[i] = CharKind.expansion
  return i + 1
}

/** `'...'`: every character up to the next `'` is data, backslashes included. */
function lexSingleQuoted (syntax: ShellSyntax, line: string, open: number): number {
  const close = line.indexOf('\'', open + 1)
  syntax.kinds[open] = CharKind.quote
  syntax.partners.set(open, close)
  if (close === -1) return line.length
  syntax.kinds[close] = CharKind.quote
  syntax.partners.set(close, open)
  return close + 1
}

/** `"..."`: `$` and backticks still expand; backslash escapes only `$ \` " \\` and newline. */
function lexDoubleQuoted (syntax: ShellSyntax, line: string, open: number): number {
  syntax.kinds[open] = CharKind.quote
  let i = open + 1
  while (i < line.length) {
    const c = line[i]
    if (c === '"') {
      syntax.kinds[i] = CharKind.quote
      syntax.partners.set(open, i)
      syntax.partners.set(i, open)
      return i + 1
    }
    if (c === '\\' && '$`"\\\n'.includes(line[i + 1] ?? ' ')) {
      syntax.kinds[i] = CharKind.escape
      i += 2
      continue
    }
    if (isExpansion(line, i)) syntax.kinds[i] = CharKind.expansion
    i++
  }
  syntax.partners.set(open, -1)
  return line.length
}

/** A backtick, or a `$` the shell expands: `$(`, `${`, `$NAME`. `$5` or a lone `$` stay data. */
function isExpansion (line: string, i: number): boolean {
  const c = line[i]
  if (c === '`') return true
  if (c !== '$') return false
  const n = line.charCodeAt(i + 1)
  // ( { _ A-Z a-z
  return n === 40 || n === 123 || n === 95 || (n >= 65 && n <= 90) || (n >= 97 && n <= 122)
}
