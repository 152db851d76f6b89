/**
 * `sidewatch-agent`: dispatches to a command. Errors the user can act on (AgentError) are one line,
 * `sidewatch-agent: CODE: message`, with exit 2 (bad input) or 1 (environment); anything else is
 * a bug and keeps its stack.
 */
import { AgentError, isAgentError } from './errors'
import type * as RunModule from './commands/run'
import type * as EventsModule from './commands/events'
import type * as SearchModule from './commands/search'
import type * as FlowsModule from './commands/flows'
import type * as ProcsModule from './commands/procs'
import type * as RulesModule from './commands/rules'
import type * as CollectModule from './commands/collect'
import type * as ExecModule from './commands/exec'
import type * as CloudtrailModule from './commands/cloudtrail'
import type * as InjectModule from './commands/inject'
import type * as ConsoleModule from './commands/console'
import { AGENT_VERSION } from './version'

export const USAGE = `sidewatch-agent ${AGENT_VERSION}: runtime security monitoring sidecar

Usage:
  sidewatch-agent run [--config FILE] [--listen ADDR]... [--token TOKEN] [--sink SPEC]...
                      [--capture auto|off|IFACE] [--proc on|off] [--metrics HOST:PORT]
  sidewatch-agent events --db FILE [--kind KIND] [--since 10m] [--limit N] [--json]
  sidewatch-agent search QUERY --db FILE [--limit N] [--json] [--fts]
  sidewatch-agent flows --pcap FILE [--idle-timeout 60] [--active-timeout 1800]
                        [--task-net CIDR]... [--max-flows N]
  sidewatch-agent procs [--once] [--interval MS] [--proc-root DIR] [--baseline FILE]
  sidewatch-agent rules check [FILE|DIR]...
  sidewatch-agent rules test --rules FILE|DIR... --events FILE.jsonl
  sidewatch-agent collect [--listen tcp://HOST:PORT] [--sink SPEC]... [--keys-file FILE] [--tls-cert F --tls-key F]
                          [--console 127.0.0.1:PORT] [--console-token TOKEN]
  sidewatch-agent console --db FILE [--listen 127.0.0.1:PORT] [--token TOKEN] [--rules FILE|DIR]...
  sidewatch-agent exec [--agent ADDR] -- CMD [ARGS...]
  sidewatch-agent cloudtrail PATH... [--rules FILE]...
  sidewatch-agent inject --task-definition FILE [--image IMAGE] [--key-parameter ARN]
  sidewatch-agent inject --pod FILE [--image IMAGE] [--key-secret NAME[:KEY]]
  sidewatch-agent help [COMMAND]
  sidewatch-agent --version

Exit status: 0 ok, 2 bad usage, configuration or query, 1 runtime failure.
`

interface Command { run: (argv: string[]) => Promise<void>, usage: string }

// Loaded on demand: the offline commands should not pay for the agent's dependencies.
const COMMANDS: Record<string, () => Command> = {
  run: () => { const m = require('./commands/run') as typeof RunModule; return { run: m.runCommand, usage: m.RUN_USAGE } },
  events: () => { const m = require('./commands/events') as typeof EventsModule; return { run: m.eventsCommand, usage: m.EVENTS_USAGE } },
  search: () => { const m = require('./commands/search') as typeof SearchModule; return { run: m.searchCommand, usage: m.SEARCH_USAGE } },
  flows: () => { const m = require('./commands/flows') as typeof FlowsModule; return { run: m.flowsCommand, usage: m.FLOWS_USAGE } },
  procs: () => { const m = require('./commands/procs') as typeof ProcsModule; return { run: m.procsCommand, usage: m.PROCS_USAGE } },
  rules: () => { const m = require('./commands/rules') as typeof RulesModule; return { run: m.rulesCommand, usage: m.RULES_USAGE } },
  collect: () => { const m = require('./commands/collect') as typeof CollectModule; return { run: m.collectCommand, usage: m.COLLECT_USAGE } },
  exec: () => { const m = require('./commands/exec') as typeof ExecModule; return { run: m.execCommand, usage: m.EXEC_USAGE } },
  cloudtrail: () => { const m = require('./commands/cloudtrail') as typeof CloudtrailModule; return { run: m.cloudtrailCommand, usage: m.CLOUDTRAIL_USAGE } },
  inject: () => { const m = require('./commands/inject') as typeof InjectModule; return { run: m.injectCommand, usage: m.INJECT_USAGE } },
  console: () => { const m = require('./commands/console') as typeof ConsoleModule; return { run: m.consoleCommand, usage: m.CONSOLE_USAGE } },
}

export async function main (argv: string[]): Promise<void> {
  try {
    await dispatch(argv)
  } catch (err) {
    if (isAgentError(err)) {
      process.stderr.write(`sidewatch-agent: ${err.code}: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`)
      process.exitCode = err.exitCode
    } else {
      process.stderr.write(`sidewatch-agent: unexpected error: ${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    }
  }
}

async function dispatch (argv: string[]): Promise<void> {
  const [first, ...rest] = argv
  if (first === undefined) {
    process.stderr.write(USAGE)
    process.exitCode = 2
    return
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${AGENT_VERSION}\n`)
    return
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0]
    if (topic === undefined) { process.stdout.write(USAGE); return }
    const load = COMMANDS[topic]
    if (load === undefined) throw new AgentError('SW_ERR_USAGE', `no help for unknown command ${JSON.stringify(topic)}; commands: ${Object.keys(COMMANDS).join(', ')}`)
    process.stdout.write(load().usage)
    return
  }
  const load = COMMANDS[first]
  if (load === undefined) {
    const what = first.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`
    throw new AgentError('SW_ERR_USAGE', `${what}; commands: ${Object.keys(COMMANDS).join(', ')} (see sidewatch-agent --help)`)
  }
  await load().run(rest)
}
