// The rules in the running agent: an SDK's events make alerts stored beside them, with their
// evidence; SIGHUP reloads the rule files and keeps the running rules when the new ones are broken.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readJsonl, runCli, startAgent, tempDir, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('alerts from SDK events; SIGHUP reloads; broken rules keep the old ones running', async (t) => {
  const dir = tempDir(t)
  const mine = join(dir, 'mine.yaml')
  writeFileSync(mine, `
- rule: Shell from the app
  condition: evt.kind = process.exec and exec.shell = true
  output: "%evt.service ran a shell: %exec.command_line"
  priority: warning
`)
  const agent = await startAgent(t, { dir, args: ['--rules', mine] })
  await agent.proc.line('rules loaded', (l) => l.msg === 'rules loaded' && (l.rules as number) >= 20)
  const client = await TestClient.greeted(agent.tcp)
  t.teardown(() => client.close())
  const exec = events.exec({ exec: { method: 'exec', file: '/bin/sh', args: ['-c', 'id'], shell: true, command_line: 'id' } })
  const attack = { id: 'atk-1', ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: 'checkout', attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.cmd', value: 'id' }, blocked: false } }
  await client.batch(1, [exec, attack])
  const alerts = await waitFor('two alerts', () => {
    const found = readJsonl(agent.jsonl).filter((e) => e.kind === 'alert')
    return found.length >= 2 ? found : undefined
  })
  t.match(alerts.find((a) => a.alert.rule === 'Shell from the app'), { source: 'rules', service: 'checkout', alert: { output: 'checkout ran a shell: id', evidence: [exec.id], priority: 'warning' } })
  t.match(alerts.find((a) => a.alert.rule === 'Shell injection'), { alert: { priority: 'critical', evidence: ['atk-1'], tags: ['application', 'mitre_execution', 'T1059', 'T1190'] } }, 'the shipped pack runs too')

  writeFileSync(mine, '- rule: Shell from the app\n  condition: evt.kind = process.exec and exec.shel = true\n  output: x\n  priority: warning\n')
  agent.proc.child.kill('SIGHUP')
  const broken = await agent.proc.line('reload refused', (l) => l.code === 'SW_ERR_RULES' && /running rules stay/.test(l.msg))
  t.match(broken.problems, [`${mine}:2:42: condition: unknown field exec.shel`])
  // Another command line: another dedup key, so not folded into the first alert.
  await client.batch(2, [events.exec({ exec: { method: 'exec', file: '/bin/sh', args: ['-c', 'whoami'], shell: true, command_line: 'whoami' } })])
  await waitFor('the old rule still fires', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.output === 'checkout ran a shell: whoami'))

  writeFileSync(mine, '- rule: Any exec\n  condition: evt.kind = process.exec\n  output: "exec %exec.command_line"\n  priority: notice\n')
  agent.proc.child.kill('SIGHUP')
  await agent.proc.line('reloaded', (l) => l.msg === 'rules reloaded')
  await client.batch(3, [events.exec({ exec: { method: 'execFile', file: '/usr/bin/uptime', args: [], shell: false, command_line: 'uptime' } })])
  await waitFor('the new rule fires', () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.alert.output === 'exec uptime'))
  t.equal((await agent.proc.stop()).code, 0)
})

t.test('rule files with problems stop the agent at start-up, with every problem', async (t) => {
  const dir = tempDir(t)
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, '- rule: R\n  condition: nope\n  output: x\n  priority: notice\n')
  const res = await runCli(['run', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${join(dir, 'e.jsonl')}`, '--capture', 'off', '--proc', 'off', '--rules', bad])
  t.equal(res.code, 2)
  t.match(res.stderr, /SW_ERR_RULES: the rules have 1 problem: .*bad\.yaml:2:14: condition: undefined macro nope/)
})
