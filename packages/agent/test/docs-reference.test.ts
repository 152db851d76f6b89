// The reference docs cannot drift: what must be documented is read from the sources, not from a
// list kept here — the CLI's commands (cli.ts) and the parseArgs options each command module
// exports, the config-file keys config.ts accepts, every SIDEWATCH_* variable the agent, the SDK
// and the bridges mention, the shipped rules (loaded through the real loader), the rule
// language's operators, priorities and fields, and the event schema — and each must appear in its
// doc. Every failure names what is missing and the doc to add it to.
import t, { type Test } from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { validateEvent } from '@sidewatch/proto/schema'
import { main } from '../src/cli'
import { CONFIG_FILE_KEYS } from '../src/config'
import { COMPARE_OPS } from '../src/rules/condition-parser'
import { listFields } from '../src/rules/fields'
import { loadRules } from '../src/rules/load-rules'
import { PRIORITIES } from '../src/rules/rule-file'
import {
  commandProblems, configKeyProblems, envVarProblems, eventDocProblems, jsonExamples, ruleTableProblems, sections, wordProblems,
} from './helpers/docs-reference'

const ROOT = join(__dirname, '..', '..', '..')
const SRC = join(__dirname, '..', 'src')
const doc = (name: string): string => readFileSync(join(ROOT, 'docs', name), 'utf8')
const EVENT_SCHEMA = JSON.parse(readFileSync(join(ROOT, 'packages', 'proto', 'event-schema.json'), 'utf8')) as Record<string, any>

/** Fails once per problem, so the output lists exactly what is missing; passes once when none. */
function expectNone (t: Test, problems: string[], what: string): void {
  if (problems.length === 0) t.pass(what)
  for (const problem of problems) t.fail(problem)
}

/** The command names of cli.ts's COMMANDS, as the CLI itself lists them for an unknown help topic. */
async function cliCommands (): Promise<string[]> {
  let text = ''
  const write = process.stderr.write
  const exitCode = process.exitCode
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true }) as typeof process.stderr.write
  try {
    await main(['help', 'no-such-command'])
  } finally {
    process.stderr.write = write
    process.exitCode = exitCode
  }
  const list = /; commands: (.+)$/m.exec(text)?.[1]
  if (list === undefined) throw new Error(`cannot read the command list from the CLI's answer: ${text}`)
  return list.split(',').map((c) => c.trim())
}

/** `<COMMAND>_OPTIONS`: the export convention of commands/*.ts (see commands/args.ts). */
function optionsExport (command: string): string {
  return `${command.toUpperCase().replace(/-/g, '_')}_OPTIONS`
}

/** The module cli.ts loads for `command` (its `require('./commands/...')`), else commands/<command>. */
function commandModule (command: string): string {
  const cli = readFileSync(join(SRC, 'cli.ts'), 'utf8')
  const line = cli.split('\n').find((l) => new RegExp(`^\\s*'?${command}'?\\s*:\\s*\\(\\)\\s*=>`).test(l))
  const path = line === undefined ? undefined : /require\('\.\/(commands\/[^']+)'\)/.exec(line)?.[1]
  return path ?? `commands/${command}`
}

/** Each command's long flags, from the options object its module exports; a problem for a module that exports none. */
function commandFlags (command: string, module: Record<string, unknown> | Error, file: string): string[] | string {
  const name = optionsExport(command)
  const options = module instanceof Error ? undefined : module[name]
  if (options === null || typeof options !== 'object') {
    const why = module instanceof Error ? `cannot be loaded (${module.message})` : `exports no ${name}`
    return `${file} (the "${command}" command of cli.ts) ${why}: export the options object it passes to parseCommandArgs as ` +
      `\`export const ${name} = { ... } as const\` (like RUN_OPTIONS in commands/run.ts), then document each flag under ` +
      `"### \`sidewatch-agent ${command}\`" in docs/configuration.md`
  }
  return Object.keys(options)
}

/** SIDEWATCH_* names in the code of the agent, the SDK and the bridges (tests left out), with the files naming each. */
function sourceEnvVars (): Map<string, string[]> {
  const vars = new Map<string, string[]>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) {
        if (!['node_modules', 'dist', 'test', 'tests', '__pycache__'].includes(name)) walk(path)
        continue
      }
      if (/\.(md|json|pyc|gemspec)$/.test(name)) continue
      for (const v of new Set(readFileSync(path, 'utf8').match(/\bSIDEWATCH_[A-Z0-9]+(?:_[A-Z0-9]+)*\b/g) ?? [])) {
        vars.set(v, [...(vars.get(v) ?? []), relative(ROOT, path)])
      }
    }
  }
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const src = join(ROOT, 'packages', pkg, 'src')
    try { statSync(src) } catch { continue }
    walk(src)
  }
  walk(join(ROOT, 'py-ruby-bridge'))
  return vars
}

/** Each command's long flags (from its module's export), and a problem for each module that has none. */
async function realCommandFlags (): Promise<{ commands: string[], flags: Map<string, string[]>, problems: string[] }> {
  const commands = await cliCommands()
  const flags = new Map<string, string[]>()
  const problems: string[] = []
  for (const command of commands) {
    const path = commandModule(command)
    let module: Record<string, unknown> | Error
    try {
      module = require(join(SRC, path)) as Record<string, unknown>
    } catch (err) {
      module = err as Error
    }
    const got = commandFlags(command, module, `packages/agent/src/${path}.ts`)
    if (typeof got === 'string') problems.push(got)
    else flags.set(command, got)
  }
  return { commands, flags, problems }
}

t.test('docs/configuration.md: every command of the CLI and every flag it accepts', async (t) => {
  const { commands, flags, problems } = await realCommandFlags()
  t.ok(commands.includes('run') && commands.includes('inject'), `the CLI lists its commands (${commands.join(', ')})`)
  expectNone(t, [...problems, ...commandProblems(doc('configuration.md'), flags)],
    `${commands.length} commands, ${[...flags.values()].flat().length} flags documented`)
})

t.test('docs/configuration.md: every config-file key', async (t) => {
  expectNone(t, configKeyProblems(doc('configuration.md'), CONFIG_FILE_KEYS), `${CONFIG_FILE_KEYS.length} config-file keys documented`)
})

t.test('docs/configuration.md: every SIDEWATCH_* environment variable in the sources', async (t) => {
  const vars = sourceEnvVars()
  t.ok(vars.has('SIDEWATCH_TOKEN') && vars.has('SIDEWATCH_REDACT'), 'the scan finds the agent\'s and the SDKs\' variables')
  expectNone(t, envVarProblems(doc('configuration.md'), vars), `${vars.size} environment variables documented`)
})

t.test('docs/rules.md: every shipped rule by name with its priority, and the whole rule language', async (t) => {
  const set = loadRules([])
  t.same(set.problems, [], 'the shipped pack loads')
  t.ok(set.rules.length > 40, `the shipped pack has its rules (${set.rules.length})`)
  const rules = set.rules.map((r) => ({ name: r.name, priority: r.priority, file: basename(r.file) }))
  const text = doc('rules.md')
  const language = sections(text).find((s) => s.title === 'Language reference')?.text ?? ''
  const fields = sections(text).find((s) => s.title === 'Fields')?.text ?? ''
  expectNone(t, [
    ...ruleTableProblems(text, rules),
    ...wordProblems(language, [...COMPARE_OPS, 'exists'], 'condition operator', 'docs/rules.md "Language reference"'),
    ...wordProblems(language, PRIORITIES, 'priority', 'docs/rules.md "Language reference"'),
    ...listFields().filter((f) => !new RegExp(`^${f.name.replace(/\./g, '\\.')}\\s`, 'm').test(fields))
      .map((f) => `docs/rules.md: the rule field ${f.name} is not in the "Fields" list: paste the output of \`sidewatch-agent rules fields\` there`),
  ], `${rules.length} shipped rules, ${COMPARE_OPS.length + 1} operators, ${PRIORITIES.length} priorities, ${listFields().length} fields documented`)
})

t.test('docs/events.md: every event kind and field of the schema, and examples that are valid events', async (t) => {
  const text = doc('events.md')
  expectNone(t, eventDocProblems(text, EVENT_SCHEMA), `${Object.keys(EVENT_SCHEMA.$defs).length} event kinds documented with every field`)
  const examples = jsonExamples(text)
  t.ok(examples.length >= 10, `events.md has examples (${examples.length})`)
  for (const { section, text: json } of examples) {
    let event: { kind?: string }
    try {
      event = JSON.parse(json) as { kind?: string }
    } catch (err) {
      t.fail(`docs/events.md: the example in "${section}" is not JSON: ${(err as Error).message}`)
      continue
    }
    const issue = validateEvent(event)
    t.equal(issue, undefined, `docs/events.md: the ${String(event.kind)} example in "${section}" is a valid event${issue === undefined ? '' : `: ${issue.code} at ${issue.field}: ${issue.message}`}`)
    t.ok(section.includes(`\`${String(event.kind)}\``), `docs/events.md: the ${String(event.kind)} example is in its kind's section (found in "${section}")`)
  }
})

/** Exactly one problem, and it says `pattern`. */
function one (t: Test, problems: string[], pattern: RegExp, what: string): void {
  t.equal(problems.length, 1, `${what}: one problem (${problems.join(' / ')})`)
  t.match(problems[0] ?? '', pattern, what)
}

// The checkers must be able to fail: each is run on the real doc with one thing taken out.
t.test('the checks fail when something is undocumented', async (t) => {
  const config = doc('configuration.md')
  // The checks below filter the problems to the thing taken out, so they hold while the real docs
  // have other gaps (the tests above report those).
  const { flags } = await realCommandFlags()
  const about = (word: string, problems: string[]): string[] => problems.filter((p) => p.includes(word))
  const withoutFlag = config.split('\n').filter((l) => !l.startsWith('| `--data-dir`')).join('\n')
  t.same(about('--data-dir', commandProblems(withoutFlag, flags)),
    ['docs/configuration.md: the section "sidewatch-agent run" does not document --data-dir: add a row for it to that command\'s flag table (what it does, its default)'],
    'a flag removed from its command\'s table is reported, with the command and the doc')
  one(t, about('"new-command"', commandProblems(config, new Map([...flags, ['new-command', ['port']]]))), /no section for the command "new-command".*--port/,
    'a command with no section is reported')
  one(t, about('"sidewatch-agent events"', commandProblems(config, new Map([...flags].filter(([name]) => name !== 'events')))),
    /"sidewatch-agent events" documents a command the CLI does not have/, 'a section for a command the CLI does not have is reported')
  t.match(commandFlags('console', {}, 'packages/agent/src/commands/console.ts'),
    /console\.ts \(the "console" command of cli\.ts\) exports no CONSOLE_OPTIONS: export the options object .*export const CONSOLE_OPTIONS/,
    'a command module that does not export its options says what to do')

  const withoutKey = config.split('\n').filter((l) => !l.startsWith('| `exe_learn`')).join('\n')
  one(t, about('exe_learn', configKeyProblems(withoutKey, CONFIG_FILE_KEYS)), /the config-file key exe_learn is not documented/, 'a config key removed is reported')
  one(t, about('lists mode', configKeyProblems(config, CONFIG_FILE_KEYS.filter((k) => k !== 'mode'))), /lists mode, which config\.ts does not accept/, 'a stale config key is reported')

  const vars = sourceEnvVars()
  const withoutVar = config.replaceAll('`SIDEWATCH_NATS_TOKEN`', 'the NATS token variable')
  one(t, about('SIDEWATCH_NATS_TOKEN', envVarProblems(withoutVar, vars)), /SIDEWATCH_NATS_TOKEN \(read in packages\/agent\/src\/sinks\/nats\.ts\) is not documented/,
    'an environment variable removed is reported with where it is read')
  const unread = new Map(vars)
  unread.delete('SIDEWATCH_NATS_TOKEN')
  one(t, about('SIDEWATCH_NATS_TOKEN', envVarProblems(config, unread)), /SIDEWATCH_NATS_TOKEN is documented but no source reads it/, 'a variable no source reads is reported')

  const rulesDoc = doc('rules.md')
  const rules = loadRules([]).rules.map((r) => ({ name: r.name, priority: r.priority, file: basename(r.file) }))
  const withoutRule = rulesDoc.split('\n').filter((l) => !l.startsWith('| Reverse shell |')).join('\n')
  one(t, about('Reverse shell', ruleTableProblems(withoutRule, rules)), /the shipped rule "Reverse shell" \(50-processes\.yaml\) is not listed/, 'a rule removed from the table is reported')
  const demoted = rulesDoc.replace('| Reverse shell | critical |', '| Reverse shell | notice |')
  one(t, about('Reverse shell', ruleTableProblems(demoted, rules)), /"Reverse shell" is listed with priority notice, but its priority is critical/, 'a wrong priority is reported')
  one(t, about('Reverse shell', ruleTableProblems(rulesDoc, rules.filter((r) => r.name !== 'Reverse shell'))), /lists "Reverse shell", which no shipped rule file defines/,
    'a row for a rule that is gone is reported')

  const events = doc('events.md')
  const withoutField = events.split('\n').filter((l) => !l.startsWith('| `flow.tcp_flags`')).join('\n')
  one(t, about('flow.tcp_flags', eventDocProblems(withoutField, EVENT_SCHEMA)), /the field flow\.tcp_flags of net\.flow events is not documented/, 'a field removed is reported')
  const withoutKind = events.replace('### `sshd.presence`', '### SSH servers')
  one(t, about('sshd.presence', eventDocProblems(withoutKind, EVENT_SCHEMA)), /the event kind sshd\.presence is not documented/, 'a kind without a section is reported')
})
