/**
 * util.parseArgs with its errors turned into one-line SW_ERR_USAGE errors that say which
 * command's --help to read.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { AgentError } from '../errors'

/**
 * `config` as for parseArgs, with `args`; strict (the default) so unknown options are errors.
 * Each command module exports the options it passes here as `<COMMAND>_OPTIONS` (RUN_OPTIONS,
 * ...): test/docs-reference.test.ts checks that docs/configuration.md documents every flag.
 */
export function parseCommandArgs<C extends ParseArgsConfig> (command: string, config: C): ReturnType<typeof parseArgs<C>> {
  try {
    return parseArgs(config)
  } catch (err) {
    throw usageError(command, err as Error & { code?: string })
  }
}

export function usageError (command: string, err: Error & { code?: string }): AgentError {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? ''
  let what: string
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': what = `unknown option ${quoted}`; break
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': what = `unexpected argument ${JSON.stringify(quoted)}`; break
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      what = err.message.includes('argument missing') ? `option ${quoted.split(' ')[0] ?? ''} needs a value` : lowerFirst(err.message)
      break
    default: what = lowerFirst(err.message)
  }
  return new AgentError('SW_ERR_USAGE', `${what} (see sidewatch-agent ${command} --help)`)
}

/** A whole number ≥ 1 for --limit and the like. */
export function positiveInt (command: string, flag: string, text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new AgentError('SW_ERR_USAGE', `--${flag} ${JSON.stringify(text)} is not a whole number of at least 1 (see sidewatch-agent ${command} --help)`)
  }
  return Number(text)
}

function lowerFirst (text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
