// `sidewatch-agent rules check|test|fields` as a user runs them.
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_RULES_DIR } from '../src/rules/load-rules'
import { jsonLines, runCli, tempDir } from './helpers/agent'

t.test('rules check: the shipped pack is clean; problems come as file:line:col, exit 2', async (t) => {
  const dir = tempDir(t)
  const good = join(dir, 'good.yaml')
  writeFileSync(good, '- list: allowed_metadata_clients\n  items: [aws-agent]\n  override:\n    items: append\n')
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, '- rule: Mine\n  condition: spawned_process and proc.nmae = x\n  output: "%proc.name"\n  priority: loud\n- macro: m\n  condition: (a = \n')
  const [clean, withGood, withBad] = await Promise.all([runCli(['rules', 'check']), runCli(['rules', 'check', good]), runCli(['rules', 'check', bad])])
  const shipped = readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.yaml')).length
  t.match(clean, { code: 0, stdout: '', stderr: new RegExp(`^${shipped} files: \\d+ rules \\(\\d+ enabled\\), \\d+ macros, \\d+ lists; 0 problems\\n$`) })
  t.match(withGood, { code: 0, stdout: '', stderr: new RegExp(`^${shipped + 1} files: .* 0 problems`) })
  t.equal(withBad.code, 2)
  t.same(withBad.stdout.trim().split('\n'), [
    `${bad}:4:13: priority "loud" is not one of emergency, alert, critical, error, warning, notice, informational, debug`,
    `${bad}:1:3: rule Mine needs a priority`,
    `${bad}:6:18: condition: expected a value, found the end of the condition`,
  ])
  t.match(withBad.stderr, /3 problems/)
})

t.test('rules test: alerts for stored events, bad lines reported and skipped', async (t) => {
  const dir = tempDir(t)
  const events = join(dir, 'events.jsonl')
  const ts = '2026-11-27T10:00:00.000Z'
  writeFileSync(events, [
    JSON.stringify({ id: 'e1', ts, source: 'agent.proc', kind: 'process.start', container: 'app', process: { pid: 5, exe: '/dev/shm/miner', sha256: 'f'.repeat(64) } }),
    '{ not json',
    JSON.stringify({ id: 'e2', ts, source: 'agent.proc', kind: 'process.start' }),
    JSON.stringify({ id: 'e3', ts, source: 'node-asm', kind: 'attack', service: 'shop', attack: { class: 'ssrf', sink: 'http.request', input: { name: 'query.url', value: 'http://169.254.169.254/' }, target: 'http://169.254.169.254/', blocked: true } }),
    '',
  ].join('\n'))
  const { code, stdout, stderr } = await runCli(['rules', 'test', '--events', events])
  t.equal(code, 0)
  t.match(jsonLines(stdout), [
    { kind: 'alert', alert: { rule: 'Executable run from a temporary directory', evidence: ['e1'], priority: 'error' } },
    { kind: 'alert', alert: { rule: 'Server-side request forgery', evidence: ['e3'], output: /^SSRF in http.request to http:\/\/169.254.169.254\/ from query.url=/ } },
  ])
  t.match(stderr, new RegExp(`${events}:2: not JSON`))
  t.match(stderr, new RegExp(`${events}:3: SW_ERR_INVALID_EVENT`))
  t.match(stderr, /2 events \(2 skipped\), \d+ rule matches, 2 alerts/)
})

t.test('rules fields and usage errors', async (t) => {
  const [fields, none, unknown] = await Promise.all([runCli(['rules', 'fields']), runCli(['rules', 'test']), runCli(['rules', 'lint'])])
  t.match(fields.stdout, /^proc\.pname +string +the parent's executable name/m)
  t.match(fields.stdout, /^net\.dst +ip +/m)
  t.match(none, { code: 2, stderr: /SW_ERR_USAGE: rules test needs --events/ })
  t.match(unknown, { code: 2, stderr: /SW_ERR_USAGE: unknown rules subcommand "lint"/ })
})
