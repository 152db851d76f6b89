// The rules in a running agent: events in, alerts out; a reload swaps the rules only when the new
// files are good; the fold windows still open come out at stop.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { RulePipeline } from '../src/rules/rule-pipeline'
import type { SidewatchEvent } from '@sidewatch/proto'

const now = (): string => new Date().toISOString()
const shell = (id: string): SidewatchEvent => ({ id, ts: now(), source: 'agent.proc', kind: 'process.start', process: { pid: 7, exe: '/bin/zsh', tty: '/dev/pts/4' } }) as SidewatchEvent

t.test('alerts from the rules; a broken reload keeps the last good rules; a good one swaps', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'mine.yaml')
  writeFileSync(file, '- rule: Zsh\n  condition: evt.kind = process.start and proc.name = zsh\n  output: zsh %proc.tty\n  priority: notice\n  fold: 1h\n')
  const p = new RulePipeline({ paths: [file], noDefaults: true })
  t.equal(p.rules, 1)
  t.match(p.process([shell('a')]), [{ kind: 'alert', alert: { rule: 'Zsh', output: 'zsh /dev/pts/4', evidence: ['a'] } }])

  writeFileSync(file, '- rule: Zsh\n  condition: evt.kind = process.start and proc.nam = zsh\n  output: x\n  priority: notice\n')
  const bad = p.reload()
  t.match(bad.problems, [{ file, line: 2, col: 43, message: 'condition: unknown field proc.nam' }])
  t.same(p.process([shell('b')]), [], 'the old rule still runs (b is a repeat, folded)')
  t.equal(p.reloadFailures, 1)

  writeFileSync(file, '- rule: Zsh on a terminal\n  condition: evt.kind = process.start and proc.tty exists\n  output: tty %proc.tty\n  priority: notice\n')
  t.same(p.reload().problems, [])
  t.match(p.process([shell('c')]), [{ alert: { rule: 'Zsh on a terminal', output: 'tty /dev/pts/4' } }])
  t.equal(p.reloads, 1)
  t.same(p.stop(), [], 'nothing left open in the new engine')
})

t.test('the shipped pack by default; open fold windows come out at stop', async (t) => {
  const p = new RulePipeline({ paths: [] })
  t.ok(p.rules >= 19)
  const first = p.process([shell('x1')])
  t.match(first, [{ alert: { rule: 'Terminal shell in container' } }])
  t.same(p.process([shell('x2'), shell('x3')]), [], 'repeats folded')
  t.match(p.stop(), [{ alert: { rule: 'Terminal shell in container', count: 2, evidence: ['x2', 'x3'] } }])
})

t.test('problems at start-up are an SW_ERR_RULES error naming them', async (t) => {
  const file = join(t.testdir(), 'bad.yaml')
  writeFileSync(file, '- rule: R\n  condition: nope\n  output: x\n  priority: notice\n')
  t.throws(() => new RulePipeline({ paths: [file], noDefaults: true }), { code: 'SW_ERR_RULES', message: /bad\.yaml:2:14: condition: undefined macro nope/ })
})
