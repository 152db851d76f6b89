// Rule files: loading, merging across files the way Falco does, exceptions, and every problem
// reported as file:line:col.
import t from 'tap'
import { parseRuleFile } from '../src/rules/rule-file'
import { buildRuleSet, type RuleSet } from '../src/rules/rule-set'
import type { AnyEvent } from '../src/rules/fields'

const build = (...files: Array<[string, string]>): RuleSet => buildRuleSet(files.map(([name, text]) => parseRuleFile(name, text)))
const problems = (set: RuleSet): string[] => set.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)
const shell = (p: Record<string, unknown>): AnyEvent => ({ id: 'e', ts: '2026-11-27T10:00:00Z', source: 'agent.proc', kind: 'process.start', process: { pid: 7, exe: '/bin/bash', tty: '/dev/pts/1', user: 'root', cwd: '/', ...p } })

const BASE = `
- required_engine_version: 1
- list: shell_binaries
  items: [sh, bash]
- macro: spawned_process
  condition: evt.kind = process.start
- rule: Shell with a terminal
  desc: a shell on a tty
  condition: spawned_process and proc.name in (shell_binaries) and proc.tty exists
  output: "shell %proc.name on %proc.tty as %proc.user (cwd %proc.cwd, pid %proc.pid)"
  priority: WARNING
  tags: [T1059]
`

t.test('a rule file compiles into rules with their kinds, priority, tags and output', async (t) => {
  const set = build(['base.yaml', BASE])
  t.same(problems(set), [])
  t.equal(set.rules.length, 1)
  const rule = set.rules[0]
  t.match(rule, { name: 'Shell with a terminal', priority: 'warning', tags: ['T1059'], enabled: true, desc: 'a shell on a tty' })
  t.same([...(rule?.kinds ?? [])], ['process.start'])
  t.ok(rule?.test(shell({})))
  t.notOk(rule?.test(shell({ exe: '/usr/bin/python3' })))
  t.equal(rule?.output.render(shell({ user: undefined })), 'shell bash on /dev/pts/1 as <NA> (cwd /, pid 7)')
})

t.test('later files append to lists, macros and rules, override keys, or disable', async (t) => {
  const set = build(['base.yaml', BASE], ['local.yaml', `
- list: shell_binaries
  items: [zsh]
  override:
    items: append
- macro: spawned_process
  condition: and proc.user = root
  append: true
- rule: Shell with a terminal
  exceptions:
    - name: admin_dirs
      fields: [proc.cwd, proc.name]
      comps: [startswith, in]
      values:
        - [/srv/admin, shell_binaries]
  override:
    exceptions: append
    priority: replace
  priority: NOTICE
`])
  t.same(problems(set), [])
  const rule = set.rules[0]
  t.equal(rule?.priority, 'notice')
  t.ok(rule?.test(shell({ exe: '/bin/zsh' })), 'zsh appended to the list')
  t.notOk(rule?.test(shell({ user: 'app' })), 'the macro gained "and proc.user = root"')
  t.notOk(rule?.test(shell({ cwd: '/srv/admin/tools' })), 'the exception applies')
  t.ok(rule?.test(shell({ cwd: '/srv/other' })))

  const off = build(['base.yaml', BASE], ['off.yaml', '- rule: Shell with a terminal\n  enabled: false\n'])
  t.same(problems(off), [])
  t.equal(off.rules[0]?.enabled, false)

  const replaced = build(['base.yaml', BASE], ['mine.yaml', `
- rule: Shell with a terminal
  condition: override_me
  output: replaced
  priority: debug
- macro: override_me
  condition: proc.name = sh
`])
  t.same(problems(replaced), [])
  t.ok(replaced.rules[0]?.test(shell({ exe: '/bin/sh', tty: undefined })), 'the whole rule replaced; macros may come later')
  t.equal(replaced.rules[0]?.output.render(shell({})), 'replaced')
})

t.test('macros may name macros at most 64 deep; a longer chain is a problem, not a stack overflow', async (t) => {
  const chain = (n: number): string => {
    let text = '- macro: m0\n  condition: evt.kind = process.start\n'
    for (let i = 1; i < n; i++) text += `- macro: m${i}\n  condition: m${i - 1} and proc.pid exists\n`
    return text + `- rule: Deep\n  condition: m${n - 1}\n  output: x\n  priority: notice\n`
  }
  const ok = build(['ok.yaml', chain(64)])
  t.same(problems(ok), [])
  t.ok(ok.rules[0]?.test(shell({})), '64 deep compiles and evaluates')
  const deep = build(['deep.yaml', chain(65)])
  t.same(problems(deep), ['deep.yaml:129:3: macro m64 is more than 64 macros deep (through the macros it names); flatten the chain'])
  const huge = build(['huge.yaml', chain(20_000)]) // 20,000 nested predicates overflowed the stack
  t.ok(huge.problems.length > 0 && huge.rules[0]?.test(shell({})) === false, 'a chain of 20,000: problems, and the rule never fires')
})

t.test('a later file adds values to an exception by its name; a new exception without fields is a problem', async (t) => {
  const base = BASE + `  exceptions:
    - name: admin_dirs
      fields: [proc.cwd]
      comps: [startswith]
      values: [[/srv/admin]]
`
  const set = build(['base.yaml', base], ['local.yaml', `
- rule: Shell with a terminal
  exceptions:
    - name: admin_dirs
      values: [[/opt/tools]]
  override:
    exceptions: append
`])
  t.same(problems(set), [])
  const rule = set.rules[0]
  t.notOk(rule?.test(shell({ cwd: '/srv/admin/x' })), 'the first value still applies')
  t.notOk(rule?.test(shell({ cwd: '/opt/tools/bin' })), 'the appended value applies')
  t.ok(rule?.test(shell({ cwd: '/home/bob' })))

  const unnamed = build(['base.yaml', base], ['local.yaml', '- rule: Shell with a terminal\n  exceptions:\n    - name: no_such\n      values: [[/x]]\n  override:\n    exceptions: append\n'])
  t.same(problems(unnamed), ['local.yaml:3:7: exception no_such needs fields (or, appended with override: {exceptions: append}, the name of an exception the rule has)'])
})

t.test('a later file replaces a rule\'s learning window or threshold; appending them is refused', async (t) => {
  const base = `
- rule: New destination
  condition: evt.kind = net.flow
  output: new %net.dst
  priority: notice
  new_value:
    fields: [net.dst]
    learn: 10m
- rule: Big transfer
  condition: evt.kind = net.flow
  output: big %net.dst
  priority: warning
  threshold:
    sum: net.src_bytes
    by: [net.dst]
    window: 60s
    over: 100000000
`
  const set = build(['base.yaml', base], ['short.yaml', `
- rule: New destination
  new_value:
    fields: [net.dst, net.dport]
    learn: 2s
    mode: unlearned
  override:
    new_value: replace
- rule: Big transfer
  threshold:
    sum: net.src_bytes
    by: [net.dst]
    window: 10s
    over: 1000
  override:
    threshold: replace
`])
  t.same(problems(set), [])
  t.match(set.rules.find((r) => r.name === 'New destination')?.newValue, { learnMs: 2000, fields: ['net.dst', 'net.dport'], mode: 'unlearned' })
  t.match(set.rules.find((r) => r.name === 'Big transfer')?.threshold, { windowMs: 10_000, over: 1000 })

  const unsaid = build(['base.yaml', base], ['unsaid.yaml', '- rule: New destination\n  new_value:\n    fields: [net.dst]\n    learn: 1s\n  override:\n    priority: replace\n  priority: debug\n'])
  t.same(problems(unsaid), ['unsaid.yaml:1:3: rule New destination sets new_value without saying in override whether to append or replace it'])
  const appended = build(['base.yaml', base], ['append.yaml', '- rule: Big transfer\n  threshold:\n    sum: net.src_bytes\n    by: [net.dst]\n    window: 1s\n    over: 1\n  override:\n    threshold: append\n'])
  t.same(problems(appended), ['append.yaml:1:3: threshold can only be replaced, not appended'])
})

t.test('problems, each at its file:line:col', async (t) => {
  const set = build(['bad.yaml', `
- list: shells
  items: [sh]
- rule: One
  condition: evt.kind = process.start and proc.nme = sh
  output: x
  priority: warning
- rule: Two
  desc: d
  condition: >
    evt.kind = process.start and
    not_a_macro
  output: "%proc.nam"
  priority: loud
  colour: red
- rule: Three
  condition: proc.pid = abc or (proc.name = sh
  output: y
  priority: error
- rule: Four
  condition: evt.kind = process.start
  output: z
  priority: info
  exceptions:
    - name: by_dest
      fields: [net.dst]
      values: [[198.51.100.1]]
    - name: arity
      fields: [proc.name, proc.user]
      comps: [=, =]
      values: [[sh]]
- rule: Five
  condition: proc.pid = abc
  output: y
  priority: error
- rule: Ghost
  override:
    condition: append
  condition: and proc.pid = 1
- macro: loop_a
  condition: loop_b
- macro: loop_b
  condition: loop_a
`])
  t.same(problems(set), [
    'bad.yaml:15:3: unknown field colour in rule item (allowed: rule, desc, condition, output, priority, tags, enabled, exceptions, dedup, fold, new_value, threshold, override, append, source)',
    'bad.yaml:14:13: priority "loud" is not one of emergency, alert, critical, error, warning, notice, informational, debug',
    'bad.yaml:8:3: rule Two needs a priority',
    'bad.yaml:36:3: rule Ghost changes a rule that is not defined (define it with condition, output and priority first)',
    'bad.yaml:40:3: macro loop_a refers to itself (loop_a → loop_b → loop_a)',
    'bad.yaml:5:43: condition: unknown field proc.nme',
    "bad.yaml:17:47: condition: expected ')' to close the '(' at offset 18, found the end of the condition",
    'bad.yaml:26:16: exception by_dest: net.dst is never set on the events rule Four matches (process.start), so this exception can never apply',
    'bad.yaml:31:17: exception arity: a value tuple has 1 values for 2 fields',
    'bad.yaml:33:25: condition: proc.pid is a number; "abc" is not',
  ])
  t.equal(set.rules.length, 0, 'no broken rule is compiled')
})

t.test('YAML syntax and shape errors', async (t) => {
  t.match(problems(build(['a.yaml', '- rule: [x\n'])), [/^a\.yaml:2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a \]/])
  t.same(problems(build(['b.yaml', 'rule: x\n'])), ['b.yaml:1:1: a rule file is a YAML list of items (- rule: …, - macro: …, - list: …)'])
  t.same(problems(build(['c.yaml', '- required_engine_version: 9\n'])), ['c.yaml:1:28: this file needs rule engine version 9; this agent has 1'])
  t.same(problems(build(['d.yaml', '- something: else\n'])), ['d.yaml:1:3: an item needs one of rule, macro, list or required_engine_version (found something)'])
  t.same(problems(build(['e.yaml', ''])), [], 'an empty file is an empty rule set')
})
