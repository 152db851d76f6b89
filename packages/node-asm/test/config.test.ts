import t from 'tap'
import { readConfig } from '../src/config'
import { formatAgentAddress, parseAgentAddress } from '../src/reporter/address'
import { defaultServiceName } from '../src/service-name'
import { FIXTURES } from './helpers/run-fixture'
import { join } from 'node:path'

t.test('defaults', async (t) => {
  const { config, problems } = readConfig({}, {})
  t.same(problems, [])
  t.match(config, {
    disabled: false, agent: { kind: 'tcp', host: '127.0.0.1', port: 7878 }, token: undefined, mode: 'monitor',
    queueSize: 10_000, batchEvents: 256, batchBytes: 262_144, flushIntervalMs: 200, flushTimeoutMs: 2000,
    reconnectMinMs: 100, reconnectMaxMs: 10_000,
  })
})

t.test('environment variables', async (t) => {
  const { config, problems } = readConfig({}, {
    SIDEWATCH_AGENT: 'unix:/run/sidewatch/agent.sock', SIDEWATCH_TOKEN: 'tok', SIDEWATCH_SERVICE: 'shop', SIDEWATCH_MODE: 'block',
    SIDEWATCH_QUEUE_SIZE: '50', SIDEWATCH_BATCH_SIZE: '10', SIDEWATCH_BATCH_BYTES: '4096', SIDEWATCH_FLUSH_INTERVAL_MS: '5',
    SIDEWATCH_FLUSH_TIMEOUT_MS: '0', SIDEWATCH_DISABLED: 'false',
  })
  t.same(problems, [])
  t.match(config, {
    agent: { kind: 'unix', path: '/run/sidewatch/agent.sock' }, token: 'tok', service: 'shop', mode: 'block',
    queueSize: 50, batchEvents: 10, batchBytes: 4096, flushIntervalMs: 5, flushTimeoutMs: 0, disabled: false,
  })
  for (const on of ['1', 'true', 'YES', 'on']) t.equal(readConfig({}, { SIDEWATCH_DISABLED: on }).config.disabled, true, on)
})

t.test('start() options win over the environment', async (t) => {
  const { config } = readConfig({ agent: 'tcp://[::1]:9000', queueSize: 3, service: 'opt', disabled: true }, { SIDEWATCH_AGENT: 'unix:/x', SIDEWATCH_QUEUE_SIZE: '9', SIDEWATCH_SERVICE: 'env' })
  t.match(config, { agent: { kind: 'tcp', host: '::1', port: 9000 }, queueSize: 3, service: 'opt', disabled: true })
})

t.test('bad values: a clear message each, the default used, nothing thrown', async (t) => {
  const { config, problems } = readConfig({}, {
    SIDEWATCH_AGENT: 'http://agent:7878', SIDEWATCH_QUEUE_SIZE: '-5', SIDEWATCH_BATCH_SIZE: '1e3',
    SIDEWATCH_FLUSH_TIMEOUT_MS: 'soon', SIDEWATCH_MODE: 'BLOCK', SIDEWATCH_DISABLED: 'maybe',
  })
  t.match(config, { agent: { kind: 'tcp', port: 7878 }, queueSize: 10_000, batchEvents: 256, flushTimeoutMs: 2000, mode: 'monitor', disabled: false })
  t.same(problems, [
    'SIDEWATCH_DISABLED="maybe" is not 1/true/yes/on or 0/false/no/off; using enabled',
    'SIDEWATCH_AGENT="http://agent:7878" is not an agent address; expected tcp://127.0.0.1:7878 or unix:/PATH; using tcp://127.0.0.1:7878',
    'SIDEWATCH_MODE="BLOCK" is not monitor or block; using monitor',
    'SIDEWATCH_QUEUE_SIZE="-5" is not an integer from 1 to 1000000; using 10000',
    'SIDEWATCH_BATCH_SIZE="1e3" is not an integer from 1 to 10000; using 256',
    'SIDEWATCH_FLUSH_TIMEOUT_MS="soon" is not an integer from 0 to 60000; using 2000',
  ])
  t.same(readConfig({ queueSize: 0 }, {}).problems, ['queueSize=0 is not an integer from 1 to 1000000; using 10000'])
})

t.test('http events: security by default, all on request, a bad value named', async (t) => {
  t.match(readConfig({}, {}).config, { httpEvents: 'security', summaryIntervalMs: 10_000 })
  t.match(readConfig({}, { SIDEWATCH_HTTP_EVENTS: 'all', SIDEWATCH_SUMMARY_INTERVAL_MS: '2500' }).config, { httpEvents: 'all', summaryIntervalMs: 2500 })
  t.equal(readConfig({ httpEvents: 'security' }, { SIDEWATCH_HTTP_EVENTS: 'all' }).config.httpEvents, 'security', 'the option wins')
  const bad = readConfig({}, { SIDEWATCH_HTTP_EVENTS: 'some', SIDEWATCH_SUMMARY_INTERVAL_MS: '5' })
  t.match(bad.config, { httpEvents: 'security', summaryIntervalMs: 10_000 })
  t.same(bad.problems, [
    'SIDEWATCH_HTTP_EVENTS="some" is not security or all; using security',
    'SIDEWATCH_SUMMARY_INTERVAL_MS="5" is not an integer from 100 to 3600000; using 10000',
  ])
})

t.test('agent addresses', async (t) => {
  const cases: Array<[string, string]> = [
    ['tcp://127.0.0.1:7878', 'tcp://127.0.0.1:7878'],
    ['tcp://localhost:1', 'tcp://localhost:1'],
    ['tcp://[::1]:7878', 'tcp://[::1]:7878'],
    ['unix:/tmp/a.sock', 'unix:/tmp/a.sock'],
    ['unix:///tmp/a.sock', 'unix:/tmp/a.sock'],
  ]
  for (const [text, formatted] of cases) {
    const address = parseAgentAddress(text)
    t.notOk('error' in address, text)
    if (!('error' in address)) t.equal(formatAgentAddress(address), formatted)
  }
  t.match(parseAgentAddress('unix:rel.sock'), { kind: 'unix', path: join(process.cwd(), 'rel.sock') })
  for (const bad of ['', '127.0.0.1:7878', 'tcp://host', 'tcp://host:0', 'tcp://host:70000', 'unix:']) {
    t.ok('error' in parseAgentAddress(bad), `${JSON.stringify(bad)} refused`)
  }
})

t.test('default service name: package.json name, else the script name', async (t) => {
  t.equal(defaultServiceName(join(__dirname, '..'), '/srv/app/server.js'), '@sidewatch/node-asm')
  t.equal(defaultServiceName(FIXTURES, '/srv/app/server.mjs'), 'server')
  t.equal(defaultServiceName(FIXTURES, ''), 'node')
})
