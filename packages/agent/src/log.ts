/**
 * The agent's logger: pino, JSON lines on stderr (stdout may carry a `jsonl:-` sink).
 * Writes are synchronous so the last lines before an exit (or a forced exit) are not lost.
 */
import pino, { type Logger, type DestinationStream } from 'pino'
import { AgentError } from './errors'

export type { Logger }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The level from SIDEWATCH_LOG_LEVEL (default info). Throws SW_ERR_CONFIG on an unknown level. */
export function logLevelFromEnv (env: NodeJS.ProcessEnv): string {
  const level = env.SIDEWATCH_LOG_LEVEL ?? ''
  if (level === '') return 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new AgentError('SW_ERR_CONFIG', `SIDEWATCH_LOG_LEVEL=${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`)
  }
  return level
}

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // The token is never logged on purpose; this catches it if an object carrying it slips in.
    redact: { paths: ['token', '*.token'], censor: '[redacted]' },
  }, destination ?? pino.destination({ fd: 2, sync: true }))
}
