// The command line: help and version, one-line errors with stable codes and exit 2, and the
// precedence of flags over environment over config file.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readJsonl, runCli, spawnAgent, tempDir, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('help and version', async (t) => {
  const version = await runCli(['--version'])
  t.same([version.code, version.stdout], [0, '0.1.0\n'])
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  for (const word of ['run', 'events', 'search', '--listen', '--sink', '--metrics']) t.match(help.stdout, word)
  const runHelp = await runCli(['run', '--help'])
  t.match(runHelp.stdout, /SIDEWATCH_TOKEN/)
  t.match(runHelp.stdout, /max_frame_size/, 'lists the config keys')
  const none = await runCli([])
  t.equal(none.code, 2)
  t.match(none.stderr, /Usage:/)
})

t.test('bad input: one line on stderr with a stable code, exit 2', async (t) => {
  // One case per code through the real CLI; the full tables are in config.test.ts.
  const dir = tempDir(t)
  writeFileSync(join(dir, 'unknown.yaml'), 'listen: [tcp://127.0.0.1:0]\nlisten_on: x\n')
  const cases: Array<[string[], string, RegExp]> = [
    [['run', '--foo'], 'SW_ERR_USAGE', /unknown option --foo \(see sidewatch-agent run --help\)/],
    [['frobnicate'], 'SW_ERR_USAGE', /unknown command "frobnicate"/],
    [['run', '--listen', 'http://127.0.0.1:80'], 'SW_ERR_LISTEN', /--listen: listen spec "http:\/\/127\.0\.0\.1:80" is not valid; expected unix:\/PATH\.sock or tcp:\/\/127\.0\.0\.1:PORT/],
    [['run', '--sink', 'kafka:topic'], 'SW_ERR_SINK', /sink type "kafka" .* expected jsonl:FILE, jsonl:-, sqlite:FILE, nats:\/\/HOST:PORT, https:\/\/HOST\/PATH or otlp\+http:\/\/HOST:PORT/],
    [['run', '--metrics', 'localhost'], 'SW_ERR_METRICS', /metrics address "localhost" is not valid/],
    [['run', '--config', join(dir, 'unknown.yaml')], 'SW_ERR_CONFIG', /unknown key "listen_on" in config file .*unknown\.yaml; known keys: listen, token, sinks/],
    [['events', '--db', 'x.db', '--since', 'yesterday'], 'SW_ERR_USAGE', /--since "yesterday" is not a duration/],
    [['search', '  ', '--db', 'x.db'], 'SW_ERR_BAD_QUERY', /empty/],
  ]
  const results = await Promise.all(cases.map(([args]) => runCli(args)))
  for (const [i, [args, code, message]] of cases.entries()) {
    const res = results[i] as Awaited<ReturnType<typeof runCli>>
    t.equal(res.code, 2, `${args.join(' ')}: exit 2`)
    t.match(res.stderr, new RegExp(`^sidewatch-agent: ${code}: `), `${args.join(' ')}: code`)
    t.match(res.stderr, message, `${args.join(' ')}: message`)
    t.equal(res.stderr.split('\n').length, 2, `${args.join(' ')}: one line`)
  }
  const level = await runCli(['run', '--listen', 'tcp://127.0.0.1:0'], { SIDEWATCH_LOG_LEVEL: 'loud' })
  t.match(level.stderr, /^sidewatch-agent: SW_ERR_CONFIG: SIDEWATCH_LOG_LEVEL="loud" is not one of/)
  t.equal(level.code, 2)
  // Sink targets are opened after start-up logging began, so the error is the last line.
  const sink = await runCli(['run', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${join(dir, 'no', 'such', 'dir', 'e.jsonl')}`])
  t.equal(sink.code, 2)
  t.match(sink.stderr.trimEnd().split('\n').pop(), /^sidewatch-agent: SW_ERR_SINK: cannot open jsonl sink file .*ENOENT/)
})

t.test('flags override environment, environment overrides the config file', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'sidewatch.yaml')
  writeFileSync(file, [
    'listen: ["tcp://127.0.0.1:0"]',
    'token: file-token',
    `sinks: ["jsonl:${join(dir, 'from-file.jsonl')}"]`,
    'mode: block',
    'max_batch: 2',
  ].join('\n'))
  const proc = spawnAgent(['run', '--config', file, '--sink', `jsonl:${join(dir, 'from-flag.jsonl')}`], {
    SIDEWATCH_TOKEN: 'env-token',
    SIDEWATCH_SINKS: `jsonl:${join(dir, 'from-env.jsonl')}`,
  })
  t.teardown(() => proc.stop('SIGKILL'))
  const ready = await proc.line('ready', (l) => l.msg === 'ready')
  t.same(ready.sinks, [`jsonl:${join(dir, 'from-flag.jsonl')}`], 'the flag sink wins over env and file')
  const tcp = ready.addresses[0] as string
  t.match(tcp, /^tcp:\/\/127\.0\.0\.1:\d+$/, 'listen from the file (nothing overrides it)')

  const fileToken = await TestClient.connect(tcp)
  t.match(await fileToken.hello({ token: 'file-token' }), { code: 'SW_ERR_AUTH' }, 'the file token is overridden')
  const client = await TestClient.connect(tcp)
  t.match(await client.hello({ token: 'env-token' }), { type: 'welcome', config: { mode: 'block' } }, 'env token; mode from the file')
  client.send({ type: 'events', seq: 1, events: [events.exec(), events.exec(), events.exec()] })
  t.match(await client.next(), { code: 'SW_ERR_BATCH_TOO_LARGE' }, 'max_batch from the file')
  const ev = events.exec()
  await client.batch(2, [ev])
  await waitFor('event in the flag sink', () => readJsonl(join(dir, 'from-flag.jsonl')).find((e) => e.id === ev.id))
  await client.close()
  t.equal((await proc.stop()).code, 0)
  t.same(readJsonl(join(dir, 'from-env.jsonl')), [], 'nothing in the env sink')
  t.same(readJsonl(join(dir, 'from-file.jsonl')), [], 'nothing in the file sink')
  const starting = proc.lines.find((l) => l.msg === 'starting')
  t.match(starting, { token_configured: true, config: { mode: 'block', maxBatch: 2 } })
  t.notOk(proc.text.join('\n').includes('env-token'), 'the token is never logged')
})

t.test('environment lists are comma-separated; a JSON config file works', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'sidewatch.json')
  writeFileSync(file, JSON.stringify({ sinks: [`jsonl:${join(dir, 'file.jsonl')}`], proc: false, capture: 'eth1', metrics: null }))
  const sock = join(dir, 'a.sock')
  const proc = spawnAgent(['run', '--config', file], {
    SIDEWATCH_LISTEN: `tcp://127.0.0.1:0, unix:${sock}`,
    SIDEWATCH_SINKS: `jsonl:${join(dir, 'a.jsonl')},sqlite:${join(dir, 'b.db')}`,
  })
  t.teardown(() => proc.stop('SIGKILL'))
  const ready = await proc.line('ready', (l) => l.msg === 'ready')
  t.match(ready.addresses, [/^tcp:\/\/127\.0\.0\.1:\d+$/, `unix:${sock}`])
  t.same(ready.sinks, [`jsonl:${join(dir, 'a.jsonl')}`, `sqlite:${join(dir, 'b.db')}`])
  // eth1 does not exist here: no capture, and with proc off no polling either; said once, with its code.
  await proc.line('no capture', (l) => l.code === 'SW_ERR_NO_CAPTURE' && l.capture === 'eth1' && /no network flows/.test(l.msg))
  t.notOk(proc.lines.some((l) => /proc scanning/.test(l.msg)), 'proc off: nothing to say')
  t.equal((await proc.stop()).code, 0)
})
