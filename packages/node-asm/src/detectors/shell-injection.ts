/**
 * Shell injection: a request input reached a command line that a shell will parse, and the part
 * of the line that came from the input is shell syntax rather than data — it adds an operator,
 * an expansion, a comment, breaks out of the app's quotes, splits into more words, or is the
 * command itself. An input that the app quoted properly (`'it'\''s'`, shell-quote) is data
 * everywhere and does not fire, whatever characters it holds.
 */
import type { RequestInput } from '../channels'
import { inputValues } from './decoded-values'
import type { Finding } from './finding'
import { CharKind, lexShell, type ShellSyntax } from './shell-lexer'

export function detectShellInjection (commandLine: string, inputs: readonly RequestInput[]): Finding | undefined {
  let syntax: ShellSyntax | undefined
  for (const input of inputs) {
    for (const value of inputValues(input)) {
      // The fast path: most inputs never occur in the command, and then there is nothing to lex.
      if (value.length === 0 || !commandLine.includes(value)) continue
      syntax ??= lexShell(commandLine)
      const reason = injectedSyntax(syntax, commandLine, value)
      if (reason !== undefined) return { class: 'shell_injection', input, target: commandLine, reason }
    }
  }
  return undefined
}

/**
 * Checks every occurrence: the app's own text may hold the same characters as the input, and we
 * cannot tell which occurrence came from the request, so any structural one counts.
 */
function injectedSyntax (syntax: ShellSyntax, line: string, value: string): string | undefined {
  for (let at = line.indexOf(value); at !== -1; at = line.indexOf(value, at + 1)) {
    const reason = syntaxInSpan(syntax, line, at, at + value.length) ?? wordChange(syntax, at, at + value.length)
    if (reason !== undefined) return reason
  }
  return undefined
}

/** The first character of [start, end) that the shell reads as syntax, described. */
function syntaxInSpan (syntax: ShellSyntax, line: string, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) {
    switch (syntax.kinds[i]) {
      case CharKind.operator: return `input adds the shell operator ${JSON.stringify(line[i])}`
      case CharKind.expansion: return 'input adds a shell expansion or command substitution'
      case CharKind.comment: return 'input starts a shell comment'
      case CharKind.quote: {
        // A quote pair wholly inside the input only quotes the input's own text: harmless.
        const partner = syntax.partners.get(i) ?? -1
        if (partner < start || partner >= end) return 'input opens or closes a quote of the command line'
        break
      }
      case CharKind.escape:
        if (i + 1 >= end) return 'input ends with a backslash that escapes the command line after it'
        break
    }
  }
  return undefined
}

/** The input spans several words, or is a whole word the shell will run as the command. */
function wordChange (syntax: ShellSyntax, start: number, end: number): string | undefined {
  let overlapping = 0
  for (const word of syntax.words) {
    if (word.start >= end) break
    if (word.end <= start) continue
    overlapping++
    if (overlapping > 1) return 'input splits into several shell words'
    if (word.command && start <= word.start && end >= word.end) return 'input is the command the shell runs'
  }
  return undefined
}
