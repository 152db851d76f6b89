// Configuration and argument parsing, in-process and table-driven: every bad value has a code
// and a message that names where it came from.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { defaultConfig, resolveConfig, type RunFlags } from '../src/config'
import { parseListenSpec } from '../src/ingest/listen-spec'
import { parseSinkSpec } from '../src/sinks/parse'
import { parseMetricsAddress } from '../src/metrics-server'
import { parseCommandArgs } from '../src/commands/args'
import { filterFrom, parseSince } from '../src/commands/filter-flags'

t.test('defaults', async (t) => {
  t.same(defaultConfig({ SIDEWATCH_RUN_DIR: '/run/sw' }).listen, ['tcp://127.0.0.1:7878', 'unix:/run/sw/agent.sock'])
  t.same(defaultConfig({}).listen[1], `unix:${join(tmpdir(), 'sidewatch', 'agent.sock')}`)
  t.match(defaultConfig({}), {
    token: undefined, sinks: ['sqlite:./sidewatch.db'], capture: 'auto', proc: 'on', metrics: undefined, mode: 'monitor',
    maxFrameSize: 1048576, maxConnections: 1024, maxBatch: 1000, statsIntervalMs: 60000, handshakeTimeoutMs: 10000,
  })
})

t.test('precedence: flags > env > file > defaults', async (t) => {
  const file = join(t.testdir(), 'c.yaml')
  writeFileSync(file, 'token: f\nsinks: [jsonl:/f.jsonl]\nlisten: [tcp://127.0.0.1:1]\nmode: block\nstats_interval: 500ms\nhandshake_timeout: 2\n')
  const env = { SIDEWATCH_TOKEN: 'e', SIDEWATCH_SINKS: 'jsonl:/e1.jsonl, jsonl:/e2.jsonl' }
  t.match(resolveConfig({ config: file }, {}), { token: 'f', sinks: ['jsonl:/f.jsonl'], listen: ['tcp://127.0.0.1:1'], mode: 'block', statsIntervalMs: 500, handshakeTimeoutMs: 2000 })
  t.match(resolveConfig({ config: file }, env), { token: 'e', sinks: ['jsonl:/e1.jsonl', 'jsonl:/e2.jsonl'], listen: ['tcp://127.0.0.1:1'] })
  t.match(resolveConfig({ config: file, token: 'x', sink: ['jsonl:/x.jsonl'], listen: ['tcp://127.0.0.1:2'] }, env),
    { token: 'x', sinks: ['jsonl:/x.jsonl'], listen: ['tcp://127.0.0.1:2'], mode: 'block' })
  t.match(resolveConfig({}, { SIDEWATCH_TOKEN: '', SIDEWATCH_LISTEN: '' }), { token: undefined, listen: defaultConfig({}).listen }, 'empty env is unset')
})

t.test('the keys of the rules, the spool and the process scanner', async (t) => {
  const file = join(t.testdir(), 'p.yaml')
  const sha = 'a'.repeat(64)
  writeFileSync(file, `rules: [/etc/sidewatch/rules.d]\ndefault_rules: false\ndata_dir: /var/lib/sidewatch\nspool_max_bytes: 67108864\nproc_interval: 250ms\nexe_learn: 10m\nallow_executables: [node, nginx]\nallow_sha256: [${sha}]\n`)
  t.match(resolveConfig({ config: file }, {}), {
    rules: ['/etc/sidewatch/rules.d'], defaultRules: false, dataDir: '/var/lib/sidewatch', spoolMaxBytes: 67108864,
    procIntervalMs: 250, exeLearnMs: 600_000, allowExecutables: ['node', 'nginx'], allowSha256: [sha],
  })
  t.match(resolveConfig({ config: file, rules: ['/mine.yaml'], 'data-dir': '/d' }, { SIDEWATCH_RULES: '/env.yaml' }), { rules: ['/mine.yaml'], dataDir: '/d' }, 'flags first')
  t.match(resolveConfig({}, { SIDEWATCH_RULES: '/a.yaml,/b.yaml', SIDEWATCH_DATA_DIR: '/e' }), { rules: ['/a.yaml', '/b.yaml'], dataDir: '/e' })
  writeFileSync(file, 'allow_sha256: [abc]\n')
  t.throws(() => resolveConfig({ config: file }, {}), { code: 'SW_ERR_CONFIG', message: /allow_sha256: "abc" is not a SHA-256/ })
  writeFileSync(file, 'default_rules: maybe\n')
  t.throws(() => resolveConfig({ config: file }, {}), { code: 'SW_ERR_CONFIG', message: /default_rules: "maybe" is not true or false/ })
})

t.test('bad values: code and source in the message', async (t) => {
  const dir = t.testdir()
  const file = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name) }
  const cases: Array<[string, RunFlags, Record<string, string>, string, RegExp]> = [
    ['listen scheme', { listen: ['udp://127.0.0.1:1'] }, {}, 'SW_ERR_LISTEN', /^--listen: listen spec "udp/],
    ['listen port', { listen: ['tcp://127.0.0.1:70000'] }, {}, 'SW_ERR_LISTEN', /port 70000 is out of range/],
    ['listen empty path', { listen: ['unix:'] }, {}, 'SW_ERR_LISTEN', /no socket path/],
    ['listen from env', {}, { SIDEWATCH_LISTEN: 'tcp://127.0.0.1:0,bogus' }, 'SW_ERR_LISTEN', /^SIDEWATCH_LISTEN: listen spec "bogus"/],
    ['sink type', { sink: ['kafka:t'] }, {}, 'SW_ERR_SINK', /^--sink: sink type "kafka"/],
    ['sink no file', { sink: ['jsonl:'] }, {}, 'SW_ERR_SINK', /has no file/],
    ['sink no type', { sink: ['events.jsonl'] }, {}, 'SW_ERR_SINK', /has no type/],
    ['sqlite to stdout', { sink: ['sqlite:-'] }, {}, 'SW_ERR_SINK', /sqlite needs a file/],
    ['sink twice', { sink: ['jsonl:/a', 'jsonl:/a'] }, {}, 'SW_ERR_SINK', /listed twice/],
    ['sink from env', {}, { SIDEWATCH_SINKS: 'nope' }, 'SW_ERR_SINK', /^SIDEWATCH_SINKS: /],
    ['capture', { capture: 'not an iface' }, {}, 'SW_ERR_USAGE', /^--capture: capture "not an iface" is not valid/],
    ['proc', { proc: 'maybe' }, {}, 'SW_ERR_USAGE', /^--proc: "maybe" is not one of on, off/],
    ['metrics', { metrics: 'localhost' }, {}, 'SW_ERR_METRICS', /metrics address "localhost"/],
    ['metrics port', { metrics: '127.0.0.1:99999' }, {}, 'SW_ERR_METRICS', /not valid/],
    ['token empty flag', { token: '' }, {}, 'SW_ERR_USAGE', /token must be a non-empty string/],
    ['token too long', {}, { SIDEWATCH_TOKEN: 'x'.repeat(1025) }, 'SW_ERR_CONFIG', /at most 1024/],
    ['missing file', { config: join(dir, 'nope.yaml') }, {}, 'SW_ERR_CONFIG', /cannot read config file .*nope\.yaml/],
    ['unknown key', { config: file('k.yaml', 'sink: [x]\n') }, {}, 'SW_ERR_CONFIG', /unknown key "sink" in config file .*k\.yaml; known keys: listen, token, sinks/],
    ['bad yaml', { config: file('y.yaml', 'listen: [a\n') }, {}, 'SW_ERR_CONFIG', /y\.yaml is not valid YAML or JSON/],
    ['bad json', { config: file('j.json', '{"listen": ') }, {}, 'SW_ERR_CONFIG', /j\.json is not valid YAML or JSON/],
    ['not a mapping', { config: file('l.yaml', '- a\n') }, {}, 'SW_ERR_CONFIG', /must hold a mapping/],
    ['max_batch', { config: file('b.json', '{"max_batch": "lots"}') }, {}, 'SW_ERR_CONFIG', /b\.json: max_batch: "lots" is not an integer from 1 to 100000/],
    ['max_frame_size', { config: file('f.yaml', 'max_frame_size: 10\n') }, {}, 'SW_ERR_CONFIG', /max_frame_size: 10 is not an integer from 1024/],
    ['max_connections', { config: file('c.yaml', 'max_connections: 0\n') }, {}, 'SW_ERR_CONFIG', /max_connections: 0/],
    ['mode', { config: file('m.yaml', 'mode: enforce\n') }, {}, 'SW_ERR_CONFIG', /mode: "enforce" is not one of monitor, block/],
    ['listen not a list', { config: file('s.yaml', 'listen: tcp://127.0.0.1:0\n') }, {}, 'SW_ERR_CONFIG', /listen: "tcp:\/\/127\.0\.0\.1:0" is not a list of strings/],
    ['listen in file', { config: file('lf.yaml', 'listen: [nowhere]\n') }, {}, 'SW_ERR_LISTEN', /config file .*lf\.yaml: listen: listen spec "nowhere"/],
    ['stats_interval', { config: file('i.yaml', 'stats_interval: soon\n') }, {}, 'SW_ERR_CONFIG', /stats_interval: "soon" is not a duration/],
    ['handshake_timeout', { config: file('h.yaml', 'handshake_timeout: -1\n') }, {}, 'SW_ERR_CONFIG', /handshake_timeout: -1 is not a duration/],
  ]
  for (const [what, flags, env, code, message] of cases) {
    t.throws(() => resolveConfig(flags, env), { code, message }, what)
  }
})

t.test('spec parsing', async (t) => {
  t.same(parseListenSpec('tcp://127.0.0.1:0'), { kind: 'tcp', host: '127.0.0.1', port: 0 })
  t.same(parseListenSpec('tcp://:7878'), { kind: 'tcp', host: '127.0.0.1', port: 7878 }, 'no host: loopback')
  t.same(parseListenSpec('tcp://[::1]:9'), { kind: 'tcp', host: '::1', port: 9 })
  t.same(parseListenSpec('tcp://0.0.0.0:9'), { kind: 'tcp', host: '0.0.0.0', port: 9 }, 'any interface only when named')
  t.same(parseListenSpec('unix:/run/a.sock'), { kind: 'unix', path: '/run/a.sock' })
  t.same(parseSinkSpec('jsonl:-'), { type: 'jsonl', path: '-' })
  t.same(parseSinkSpec('sqlite:/d/e.db'), { type: 'sqlite', path: '/d/e.db' })
  t.same(parseMetricsAddress('9464'), { host: '127.0.0.1', port: 9464 })
  t.same(parseMetricsAddress('[::1]:0'), { host: '::1', port: 0 })
})

t.test('command arguments', async (t) => {
  const options = { db: { type: 'string' }, json: { type: 'boolean' } } as const
  t.throws(() => parseCommandArgs('events', { args: ['--nope'], options }), { code: 'SW_ERR_USAGE', message: 'unknown option --nope (see sidewatch-agent events --help)' })
  t.throws(() => parseCommandArgs('events', { args: ['--db'], options }), { code: 'SW_ERR_USAGE', message: /^option --db needs a value/ })
  t.throws(() => parseCommandArgs('events', { args: ['--json=yes'], options }), { code: 'SW_ERR_USAGE' })
  t.throws(() => parseCommandArgs('events', { args: ['stray'], options }), { code: 'SW_ERR_USAGE', message: /^unexpected argument "stray"/ })
  const now = Date.parse('2026-11-26T12:00:00Z')
  t.equal(parseSince('10m', now), now - 600_000)
  t.equal(parseSince('2h', now), now - 7_200_000)
  t.equal(parseSince('1d', now), now - 86_400_000)
  t.equal(parseSince('2026-11-26T11:00:00+01:00', now), Date.parse('2026-11-26T10:00:00Z'))
  t.throws(() => parseSince('10 minutes', now), { code: 'SW_ERR_USAGE' })
  t.same(filterFrom('events', {}), { limit: 100 })
  t.throws(() => filterFrom('events', { limit: '0' }), { code: 'SW_ERR_USAGE', message: /--limit "0"/ })
  t.throws(() => filterFrom('events', { kind: 'process.eggsec' }), { code: 'SW_ERR_USAGE', message: /is not one of http\.request/ })
})
