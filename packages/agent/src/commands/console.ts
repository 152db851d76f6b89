/**
 * `sidewatch-agent console`: the triage console over an event database (see console/server.ts).
 * Prints the sign-in link (it holds the token) on stdout and serves until SIGTERM or SIGINT.
 */
import { parseCommandArgs } from './args'
import { requireDb } from './filter-flags'
import type * as ServeModule from '../console/serve'

export const CONSOLE_USAGE = `Usage: sidewatch-agent console --db FILE [--listen 127.0.0.1:PORT] [--token TOKEN] [--rules FILE|DIR]...

A web console over the event database an agent or collect writes (sqlite sink): alerts to
triage with their evidence, search over every stored event, activity, and decisions
(acknowledge, resolve, false positive with the rule exception to add). Open the sign-in link
it prints.
  --db FILE          the event database (sqlite:FILE of run or collect)
  --listen ADDR      HOST:PORT on loopback (default 127.0.0.1:7880; a bare port means 127.0.0.1)
  --token TOKEN      the sign-in token, at least 16 characters (default SIDEWATCH_CONSOLE_TOKEN,
                     else one is made up and printed in the link)
  --rules FILE|DIR   your rule files (repeatable): suggested exceptions for your own rules use
                     their dedup fields
`

export const CONSOLE_OPTIONS = {
  db: { type: 'string' },
  listen: { type: 'string' },
  token: { type: 'string' },
  rules: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const

export async function consoleCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('console', { args: argv, options: CONSOLE_OPTIONS })
  if (values.help === true) { process.stdout.write(CONSOLE_USAGE); return }
  const db = requireDb('console', values.db)
  const { consoleToken, parseConsoleAddress, serveConsole, DEFAULT_CONSOLE_ADDRESS } = require('../console/serve') as typeof ServeModule
  const address = parseConsoleAddress(values.listen ?? DEFAULT_CONSOLE_ADDRESS)
  const { token, generated } = consoleToken(values.token, process.env)
  const running = await serveConsole({ db, address, token, rulePaths: values.rules })
  process.stdout.write(`sidewatch console on ${running.server.url} over ${db}\n` +
    `sign in: ${running.server.signInUrl}${generated ? '  (token made up for this run; set --token or SIDEWATCH_CONSOLE_TOKEN to keep one)' : ''}\n`)
  const stop = (): void => { void running.close().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
