/**
 * `sidewatch-agent rules check FILE...` — load rule files through the real engine (after the
 * shipped pack, which they may extend) and report every problem as `file:line:col: message`.
 * `sidewatch-agent rules test --rules FILE... --events FILE.jsonl` — run the rules over stored
 * events (one JSON event per line, as the jsonl sink writes them) and print the alerts as JSON
 * lines, for trying a rule before deploying it.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { validateEvent } from '@sidewatch/proto/schema'
import { AgentError } from '../errors'
import type { AnyEvent } from '../rules/fields'
import { listFields } from '../rules/fields'
import { loadRules } from '../rules/load-rules'
import { RuleEngine } from '../rules/rule-engine'
import { parseCommandArgs } from './args'

export const RULES_USAGE = `Usage: sidewatch-agent rules check [--no-defaults] FILE|DIR...
       sidewatch-agent rules test --rules FILE|DIR... --events FILE.jsonl [--no-defaults] [--state FILE]
       sidewatch-agent rules fields

check  loads the shipped rule pack and then the files given (later files extend or override
       earlier ones) and prints each problem as file:line:col: message. Exit 0 when there is none,
       2 otherwise.
test   runs the rules over events (JSON lines, as the jsonl sink writes them; - for stdin) and
       prints each alert as a JSON line; a summary goes to stderr. Time is the events' own, so
       folding windows, learning windows and thresholds play out as they did.
fields lists the fields conditions and outputs can use, with their types.
  --no-defaults  leave out the shipped rule pack
  --state FILE   keep new_value baselines in FILE (default: none, learning starts afresh)
`

export const RULES_CHECK_OPTIONS = { 'no-defaults': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const
export const RULES_TEST_OPTIONS = {
  rules: { type: 'string', multiple: true },
  events: { type: 'string' },
  state: { type: 'string' },
  'no-defaults': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const
/** Every flag of a `rules` subcommand (for the docs; each subcommand parses its own). */
export const RULES_OPTIONS = { ...RULES_CHECK_OPTIONS, ...RULES_TEST_OPTIONS } as const

export async function rulesCommand (argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === 'check') return check(rest)
  if (sub === 'test') return test(rest)
  if (sub === 'fields') { printFields(); return }
  if (sub === undefined || sub === '--help' || sub === '-h') { process.stdout.write(RULES_USAGE); return }
  throw new AgentError('SW_ERR_USAGE', `unknown rules subcommand ${JSON.stringify(sub)}: check or test (see sidewatch-agent rules --help)`)
}

function printFields (): void {
  const width = Math.max(...listFields().map((f) => f.name.length))
  for (const f of listFields()) process.stdout.write(`${f.name.padEnd(width)}  ${f.type.padEnd(6)}  ${f.desc}\n`)
  process.stdout.write(`${'ct.request.PATH'.padEnd(width)}  any     requestParameters by path (a.b[0].c, [*] for every element)\n`)
  process.stdout.write(`${'ct.response.PATH'.padEnd(width)}  any     responseElements by path\n`)
  process.stdout.write(`${'ct.record.PATH'.padEnd(width)}  any     the whole CloudTrail record by path\n`)
}

function check (argv: string[]): void {
  const { values, positionals } = parseCommandArgs('rules', { args: argv, allowPositionals: true, options: RULES_CHECK_OPTIONS })
  if (values.help === true) { process.stdout.write(RULES_USAGE); return }
  if (positionals.length === 0 && values['no-defaults'] === true) throw new AgentError('SW_ERR_USAGE', 'rules check needs a FILE or DIR (see sidewatch-agent rules --help)')
  const set = loadRules(positionals, { defaults: values['no-defaults'] !== true })
  for (const p of set.problems) process.stdout.write(`${p.file}:${p.line}:${p.col}: ${p.message}\n`)
  const enabled = set.rules.filter((r) => r.enabled).length
  process.stderr.write(`${set.files.length} file${set.files.length === 1 ? '' : 's'}: ${set.rules.length} rules (${enabled} enabled), ${set.macros} macros, ${set.lists} lists; ${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}\n`)
  if (set.problems.length > 0) process.exitCode = 2
}

async function test (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('rules', { args: argv, options: RULES_TEST_OPTIONS })
  if (values.help === true) { process.stdout.write(RULES_USAGE); return }
  if (values.events === undefined) throw new AgentError('SW_ERR_USAGE', 'rules test needs --events FILE.jsonl (see sidewatch-agent rules --help)')
  const set = loadRules(values.rules ?? [], { defaults: values['no-defaults'] !== true })
  if (set.problems.length > 0) {
    const list = set.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('; ')
    throw new AgentError('SW_ERR_RULES', `the rules have ${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}: ${list}`)
  }
  const engine = new RuleEngine(set, { statePath: values.state })
  if (engine.stateError !== undefined) process.stderr.write(`sidewatch-agent: ${engine.stateError}\n`)
  const input = values.events === '-' ? process.stdin : createReadStream(values.events)
  const lines = createInterface({ input, crlfDelay: Infinity })
  let lineNo = 0
  let bad = 0
  const out: string[] = []
  const emit = (alerts: unknown[]): void => { for (const a of alerts) out.push(JSON.stringify(a)) }
  try {
    for await (const line of lines) {
      lineNo++
      if (line.trim() === '') continue
      let event: unknown
      try {
        event = JSON.parse(line)
      } catch (err) {
        bad++
        process.stderr.write(`${values.events}:${lineNo}: not JSON (${(err as Error).message}); skipped\n`)
        continue
      }
      const issue = validateEvent(event)
      if (issue !== undefined) {
        bad++
        process.stderr.write(`${values.events}:${lineNo}: ${issue.code} at ${issue.field || '/'}: ${issue.message}; skipped\n`)
        continue
      }
      emit(engine.evaluate(event as AnyEvent))
      if (out.length >= 1000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0 }
    }
  } catch (err) {
    throw new AgentError('SW_ERR_USAGE', `cannot read events from ${values.events}: ${(err as Error).message}`, { cause: err })
  }
  emit(engine.flush())
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n')
  engine.save()
  const s = engine.stats
  process.stderr.write(`${s.events} events (${bad} skipped), ${s.matches} rule matches, ${s.alerts} alerts (${s.folded} repeats folded)\n`)
}
