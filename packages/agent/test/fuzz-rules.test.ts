// Fuzzing the rule language (issue 12): parseRuleFile and buildRuleSet on the shipped rule files
// mutated as text, and the condition lexer, parser and compiler on every shipped condition mutated
// with the language's own tokens, plus deeply nested ones. For any input parseRuleFile returns its
// items and problems (each at a line and column of the file), buildRuleSet returns a rule set
// with problems instead of throwing, a condition parses or throws ConditionSyntaxError and compiles
// or throws ConditionError, and every rule that compiled evaluates, renders and keys any valid
// event of every kind without throwing. Budget and reproduction: test/helpers/fuzz.ts.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as fc from 'fast-check'
import { ConditionSyntaxError } from '../src/rules/condition-lexer'
import { parseCondition } from '../src/rules/condition-parser'
import { compileCondition, ConditionError } from '../src/rules/compile-condition'
import { listFields, type AnyEvent } from '../src/rules/fields'
import { parseRuleFile, type RuleFile } from '../src/rules/rule-file'
import { buildRuleSet, type RuleSet } from '../src/rules/rule-set'
import { RuleEngine } from '../src/rules/rule-engine'
import { filesIn, fuzzTargets, holds, returnsOrThrows, textCodec } from '../../../test/helpers/fuzz'
import { mutatedText } from '../../../test/helpers/mutator'

const REGRESSIONS = join(__dirname, 'fixtures', 'fuzz-regressions')
const RULES_DIR = join(__dirname, '..', 'rules')
const ROOT = join(__dirname, '..', '..', '..')

const shipped = filesIn(RULES_DIR, (name) => name.endsWith('.yaml')).map((b) => b.toString('utf8'))
const demo = readFileSync(join(ROOT, 'examples', 'shop', 'demo-rules.yaml'), 'utf8')
// What the shipped files do not show: exceptions with comps, new_value and threshold blocks,
// overrides and appends of every key.
const EXTRA = `
- list: extra_list
  items: [a, "b c", 1, true, shell_binaries]
- macro: extra_macro
  condition: (proc.name in (extra_list) or proc.name glob "*.sh") and not never_true
- rule: Extra
  desc: every key
  condition: extra_macro and proc.pid > 1 and proc.cmdline icontains "x" and net.dst cidr 10.0.0.0/8
  output: "%proc.name %%  %proc.cmdline %ct.request.a[0].b[*]"
  priority: info
  tags: [a, b]
  enabled: true
  dedup: [proc.name]
  fold: 500ms
  new_value: { fields: [proc.exe], learn: 2h, mode: unlearned }
  threshold: { sum: net.bytes_out, by: [proc.name], window: 1d, over: 1e6 }
  exceptions:
    - name: known
      fields: [proc.name, proc.cwd]
      comps: [=, startswith]
      values: [[bash, /tmp], [sh, /]]
- rule: Extra
  condition: and proc.tty exists
  exceptions: [{ name: known, values: [[zsh, /home]] }]
  append: true
- rule: Extra
  priority: critical
  tags: [c]
  override: { priority: replace, tags: append }
`
const SEED_FILES = [...shipped, demo, EXTRA]
const base = parseRuleFile('00-base.yaml', shipped[0] as string)

const YAML_TOKENS = [
  '\n- ', '\n  ', ': ', '- rule: ', '- macro: ', '- list: ', 'condition: ', 'output: ', 'priority: ', 'exceptions:', 'override:', 'append: true', 'enabled: ',
  'new_value:', 'threshold:', 'fields:', 'values:', 'comps:', 'items: ', '[', ']', '{', '}', '"', "'", '&a ', '*a', '!!binary ', '!!map', '? ', '|', '>', '#', '\t', '%', '\\', ',', '---\n', '...',
  ' and ', ' or ', ' not ', ' in (', ')', ' exists', ' glob ', ' cidr ', '%proc.name', '[*]', '[0]', '1e309', '-1', '0x10', '.inf',
]

// Every condition the shipped files hold, and their list and macro names.
const conditions = SEED_FILES.flatMap((text) => parseRuleFile('seed.yaml', text).items.flatMap((item) => item.type === 'list' ? [] : item.condition === undefined ? [] : [item.condition.value]))
const names = SEED_FILES.flatMap((text) => parseRuleFile('seed.yaml', text).items.map((item) => item.name))
const CONDITION_TOKENS = [
  ' and ', ' or ', 'not ', '(', ')', ',', ' in ', ' exists', ' = ', ' != ', ' < ', ' <= ', ' > ', ' >= ', ' contains ', ' icontains ', ' startswith ', ' endswith ', ' glob ', ' cidr ',
  '"', "'", '\\', '\\"', '*', '?', '[', ']', '[!', '[z-a]', '[*]', '[0]', '/', '::', '::ffff:1.2.3.4', '10.0.0.0/33', '1e999', 'NaN', '-0', 'true', '',
  ...listFields().map((f) => f.name), ...names,
]

// Valid events of every kind (the protocol's own vectors), for the rules to evaluate.
const vectors = JSON.parse(readFileSync(join(ROOT, 'packages', 'proto', 'vectors', 'frames.json'), 'utf8')) as { cases: Array<{ decoded: Array<{ type: string, events?: AnyEvent[] }> }> }
const EVENTS: AnyEvent[] = vectors.cases.flatMap((c) => c.decoded.flatMap((m) => m.type === 'events' ? m.events ?? [] : []))

/** Every rule evaluated, rendered and keyed on every event, through the engine (folds, learning, thresholds). */
function exercise (set: RuleSet): void {
  const engine = new RuleEngine(set)
  for (const event of EVENTS) {
    returnsOrThrows(() => engine.evaluate(event), () => false)
    for (const rule of set.rules) {
      returnsOrThrows(() => [rule.test(event), rule.output.render(event), rule.dedupKey(event), rule.newValue?.key(event), rule.threshold?.amount(event), rule.threshold?.group(event)], () => false)
    }
  }
  returnsOrThrows(() => engine.flush(), () => false)
}

function checkProblems (file: RuleFile | RuleSet, text: string): void {
  const lines = text.split('\n').length
  for (const p of file.problems) {
    holds(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1 && Number.isInteger(p.col) && p.col >= 1, () => `a problem at ${p.line}:${p.col} of a ${lines}-line file: ${p.message}`)
    holds(typeof p.message === 'string' && p.message !== '', 'a problem without a message')
  }
}

const ruleFileTarget = {
  name: 'agent.rule-file',
  arbitrary: mutatedText(SEED_FILES, { dictionary: YAML_TOKENS, maxMutations: 8 }),
  cases: 400,
  weight: 2,
  // A whole file parsed, merged with the base file, compiled and run on every event: a 40 KB one
  // takes ~30 ms warm, ~200 ms cold. Linear, and done once per load: the limit is for hangs.
  maxMs: 1000,
  corpus: join(REGRESSIONS, 'rule-file'),
  ...textCodec,
  check (text: string) {
    const file = returnsOrThrows(() => parseRuleFile('fuzz.yaml', text), () => false)
    if (!('value' in file)) return
    checkProblems(file.value, text)
    const set = returnsOrThrows(() => buildRuleSet([base, file.value]), () => false)
    if (!('value' in set)) return
    for (const p of set.value.problems.filter((p) => p.file === 'fuzz.yaml')) checkProblems({ ...set.value, problems: [p] }, text)
    exercise(set.value)
  },
}

// Conditions: mutated shipped ones, and nesting as deep as a file could make it.
const deepArb = fc.record({ depth: fc.integer({ min: 1, max: 20_000 }), shape: fc.constantFrom('(', 'not ', 'and', 'or', 'in') }).map(({ depth, shape }) => {
  const term = 'proc.name = sh'
  switch (shape) {
    case '(': return '('.repeat(depth) + term + ')'.repeat(depth)
    case 'not ': return 'not '.repeat(depth) + term
    case 'and': return Array(depth).fill(term).join(' and ')
    case 'or': return Array(depth).fill(term).join(' or ')
    default: return `proc.name in (${Array(depth).fill('a').join(', ')})`
  }
})

// Conditions from the grammar: any field, any operator, values of every shape the compiler
// turns into something (numbers, globs, CIDR ranges, addresses, lists).
const VALUES = ['sh', '"a b"', "'it''s'", '1', '-1', '1.5e3', '0x10', 'NaN', '""', '*', '*.sh', '?', '[a-z]*', '[!x]', '[^a]', '[z-a]', '[]]', '[', '\\', '"\\d"',
  '10.0.0.0/8', '::1', 'fe80::/10', '::ffff:1.2.3.4/120', '1.2.3.4/33', '300.1.1.1', 'true', 'false', '(a, "b", 3)', '(shell_binaries)', '()', 'never_true']
const OPS = [...new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'cidr', 'exists'])]
const grammarArb: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...listFields().map((f) => f.name)), fc.constantFrom(...OPS), fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s))))
      .map(([field, op, value]) => op === 'exists' ? `${field} exists` : `${field} ${op} ${value}`),
    fc.constantFrom(...names),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('expr').map((e) => `not ${e}`),
    tie('expr').map((e) => `(${e})`),
  ),
})).expr

// The scope conditions compile in: the shipped lists and macros.
const shippedSet = buildRuleSet(shipped.map((text, i) => parseRuleFile(`${i}.yaml`, text)))
const scope = (() => {
  // buildRuleSet keeps its scope to itself: compile the shipped macros again the same way (a
  // macro that uses another comes after it in the shipped files).
  const lists = new Map<string, string[]>()
  const macros = new Map<string, ReturnType<typeof compileCondition>>()
  for (const text of shipped) {
    for (const item of parseRuleFile('x.yaml', text).items) {
      if (item.type === 'list') lists.set(item.name, [...(lists.get(item.name) ?? []).filter(() => item.append), ...item.items])
      if (item.type === 'macro' && item.condition !== undefined) macros.set(item.name, compileCondition(parseCondition(item.condition.value), { lists, macros }))
    }
  }
  return { lists, macros }
})()

const conditionTarget = {
  name: 'agent.condition',
  arbitrary: fc.oneof(
    { weight: 12, arbitrary: mutatedText(conditions, { dictionary: CONDITION_TOKENS, maxMutations: 6 }) },
    { weight: 6, arbitrary: grammarArb },
    { weight: 1, arbitrary: deepArb },
  ),
  cases: 3000,
  weight: 2,
  // The deep inputs are up to ~400 kB of condition text: linear, ~100 ms warm, but near 300 ms on
  // a loaded CI machine. The limit is for hangs.
  maxMs: 1000,
  corpus: join(REGRESSIONS, 'condition'),
  ...textCodec,
  check (text: string) {
    const tree = returnsOrThrows(() => parseCondition(text), (err) => err instanceof ConditionSyntaxError)
    if (!('value' in tree)) {
      const at = (tree.error as ConditionSyntaxError).at
      holds(Number.isInteger(at) && at >= 0 && at <= text.length, `a syntax error at offset ${at} of a ${text.length}-character condition`)
      return
    }
    const compiled = returnsOrThrows(() => compileCondition(tree.value, scope), (err) => err instanceof ConditionError)
    if (!('value' in compiled)) {
      const { at, length } = compiled.error as ConditionError
      holds(Number.isInteger(at) && at >= 0 && at + length <= text.length, `a compile error at ${at}+${length} of a ${text.length}-character condition`)
      return
    }
    for (const event of EVENTS) {
      const r = returnsOrThrows(() => compiled.value.test(event), () => false)
      if ('value' in r) holds(typeof r.value === 'boolean', 'a predicate returned something other than a boolean')
    }
  },
}

t.ok(shippedSet.problems.length === 0 && EVENTS.length > 20 && conditions.length > 50, 'seeds: the shipped rules compile, events and conditions are there')
fuzzTargets(t, [ruleFileTarget, conditionTarget])
