/**
 * Command injection without a shell (execFile, spawn): the arguments reach the program as they
 * are, so an input cannot add operators — but it can still choose the program, smuggle an option
 * (`--upload-pack=...`, `-oProxyCommand=...`), or hand an interpreter code to run.
 * When the program is itself a shell given `-c`, its script is checked as a shell command line.
 */
import type { RequestInput } from '../channels'
import { inputValues } from './decoded-values'
import type { Finding } from './finding'
import { detectShellInjection } from './shell-injection'
import { CODE_FLAGS, isInterpreter, isShellBinary } from './shell-binary'

/** Negative numbers are the usual legitimate arguments that start with `-` (`-rotate -90`); `-` alone is stdin. */
const NEGATIVE_NUMBER = /^-\d+(?:\.\d+)?$/
const BLANKS = /\s+/

export function detectCommandInjection (file: string, args: readonly string[], inputs: readonly RequestInput[]): Finding | undefined {
  const script = shellScript(file, args)
  if (script !== undefined) {
    const finding = detectShellInjection(script, inputs)
    if (finding !== undefined) return { ...finding, target: `${file} -c ${script}` }
  }
  for (const input of inputs) {
    for (const value of inputValues(input)) {
      if (value.length === 0) continue
      // Header values (User-Agent: node, curl, python-requests) name programs by coincidence all
      // the time: they are judged for smuggled options and code, not for choosing the program.
      const reason = (input.source === 'headers' ? undefined : programChoice(file, value)) ?? injectedArgument(file, args, value)
      if (reason !== undefined) return { class: 'command_injection', input, target: [file, ...args].join(' '), reason }
    }
  }
  return undefined
}

/** The script a shell will run: the argument after `-c` (`sh -c script`, `bash -lc script`). */
function shellScript (file: string, args: readonly string[]): string | undefined {
  if (!isShellBinary(file)) return undefined
  const i = args.findIndex((a) => a === '-c' || (a.length > 2 && a[0] === '-' && a[1] !== '-' && a.endsWith('c')))
  return i === -1 ? undefined : args[i + 1]
}

/** The input is the program, or the tail of its path (`/opt/tools/${name}`). */
function programChoice (file: string, value: string): string | undefined {
  if (file === value) return 'input is the program being run'
  if (!file.endsWith(value)) return undefined
  const before = file[file.length - value.length - 1]
  if (before === '/' || value.includes('/')) return 'input chooses the program being run'
  return undefined
}

function injectedArgument (file: string, args: readonly string[], value: string): string | undefined {
  let optionsEnded = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') optionsEnded = true
    if (arg === value && !optionsEnded && value[0] === '-' && value !== '-' && !NEGATIVE_NUMBER.test(value)) {
      return 'input is a whole argument that the program reads as an option'
    }
    if (arg.includes(value) && runsInterpreterCode(value)) return 'input holds an interpreter and the code it runs'
    // A shell's script was checked by the shell analysis, which knows quoting; other code was not.
    if (i > 0 && CODE_FLAGS.has(args[i - 1] as string) && !isShellBinary(file) && isInterpreter(file) && arg.includes(value) && !isInertCode(value)) {
      return 'input is part of the code an interpreter runs'
    }
  }
  return undefined
}

/** `sh -c id`, `/usr/bin/python3 -c ...`: the input names an interpreter, then a code flag. */
function runsInterpreterCode (value: string): boolean {
  if (!value.includes(' -')) return false
  const words = value.trim().split(BLANKS)
  return words.length >= 3 && isInterpreter(words[0] as string) && CODE_FLAGS.has(words[1] as string)
}

/** Plain words and numbers inside code do not change what it does (`print(len("abc"))`). */
function isInertCode (value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    const inert = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 32 || c === 45 || c === 46 || c === 95 || c === 64
    if (!inert) return false
  }
  return true
}
