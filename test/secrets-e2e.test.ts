// Secrets never reach a sink in clear. Requests full of credentials — Authorization and API-key
// headers, cookies, an AWS access key and secret key in query strings, a JWT, a password on a
// command line the app runs — go through the example shop with the SDK into a real agent with
// every kind of store: jsonl, sqlite (its full-text index included), the spool on disk, and an
// https sink into a real `collect`, plus a second https sink that cannot connect (so errors are
// logged). Then no byte of any of those files, the agent's and the collector's logs, or /metrics
// holds a secret, and the deployment key appears nowhere.
import t from 'tap'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { spawnAgent } from '../packages/agent/test/helpers/agent'
import { certificate } from '../packages/agent/test/helpers/certificate'
import { readJsonl, SHOP, startApp, tempDir, waitFor } from './helpers/processes'

const DEPLOY_KEY = 'deploy-KEY-must-never-leak-5c1f'
const ACCESS_KEY_ID = 'AKIAZ7SECRETTEST0001'
const SECRET_ACCESS_KEY = 'sidewatchSecretKey0123456789/abcdefABCDE'
const BEARER = 'tok-AUTHHEADER-9f8e7d6c5b4a'
const COOKIE = 'COOKIEVALUE-1a2b3c4d'
const API_KEY = 'APIKEYVALUE-55aa77bb'
const QUERY_PASSWORD = 'QUERYPASSWORD-7788'
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaWRld2F0Y2gtdGVzdCJ9.Q2hlY2tTaWduYXR1cmVWYWx1ZTEyMw'
const CLI_PASSWORD = 'CLIPASSWORD-xyz-31415'
const SECRETS = { DEPLOY_KEY, ACCESS_KEY_ID, SECRET_ACCESS_KEY, BEARER, COOKIE, API_KEY, QUERY_PASSWORD, JWT, CLI_PASSWORD }

function filesUnder (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile())
}

t.test('no secret reaches any sink, log or metric in clear', async (t) => {
  t.equal(SECRET_ACCESS_KEY.length, 40, 'the secret access key has the real shape')
  const dir = tempDir(t)
  const { cert, key } = certificate(dir, 'server')

  const central = join(dir, 'central.jsonl')
  const collector = spawnAgent(['collect', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${central}`, '--tls-cert', cert, '--tls-key', key], { SIDEWATCH_LOG_LEVEL: 'debug', SIDEWATCH_COLLECT_KEYS: DEPLOY_KEY })
  t.teardown(() => collector.stop('SIGKILL'))
  const collecting = await collector.line('collecting', (l) => l.msg === 'collecting')

  // A port nothing listens on: the second https sink fails to connect and logs why.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const closedPort = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const jsonl = join(dir, 'events.jsonl')
  const db = join(dir, 'sidewatch.db')
  const sock = join(dir, 'agent.sock')
  const agent = spawnAgent(['run', '--listen', `unix:${sock}`, '--token', 'e2e-token', '--sink', `jsonl:${jsonl}`, '--sink', `sqlite:${db}`,
    '--sink', String(collecting.url), '--sink', `https://127.0.0.1:${closedPort}/v1/events`, '--metrics', '127.0.0.1:0', '--capture', 'off', '--proc', 'on'],
  { SIDEWATCH_LOG_LEVEL: 'debug', SIDEWATCH_KEY: DEPLOY_KEY, SIDEWATCH_CA_FILE: cert })
  t.teardown(() => agent.stop('SIGKILL'))
  const metricsLine = await agent.line('metrics listening', (l) => l.msg === 'metrics listening')
  await agent.line('ready', (l) => l.msg === 'ready')

  const app = await startApp(t, join(SHOP, 'server.js'), { SIDEWATCH_AGENT: `unix:${sock}`, SIDEWATCH_TOKEN: 'e2e-token' })
  const headers = { authorization: `Bearer ${BEARER}`, cookie: `session=${COOKIE}`, 'x-api-key': API_KEY, 'user-agent': `probe ${ACCESS_KEY_ID}` }
  const q = encodeURIComponent
  const paths = [
    `/greet?name=${q(`${ACCESS_KEY_ID}; echo done`)}`, // an attack whose input carries an access key id
    `/greet?name=${q(`x; sh -c "sleep 2" probe --password=${CLI_PASSWORD}`)}`, // a password on a command line, seen by the SDK and by /proc
    `/file?name=catalog.txt&aws_secret_access_key=${q(SECRET_ACCESS_KEY)}&password=${QUERY_PASSWORD}`,
    `/file?name=catalog.txt&next=${JWT}&q=${ACCESS_KEY_ID}`,
    `/greet?name=${q(`AWS_SECRET_ACCESS_KEY=${SECRET_ACCESS_KEY} ${JWT}`)}`,
  ]
  for (const path of paths) {
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { headers })
    t.ok(res.status < 500, `${path.slice(0, 40)}… answered ${res.status}`)
    await res.arrayBuffer()
  }
  await waitFor('the three attacks in the jsonl sink', () => readJsonl(jsonl).filter((e) => e.kind === 'attack').length >= 3 || undefined, 20_000)
  await waitFor('the process with the password on its command line, from /proc', () => readJsonl(jsonl).find((e) => e.kind === 'process.start' && JSON.stringify(e.process.cmdline ?? '').includes('--password=')), 20_000)
  await waitFor('the attacks at the collector', () => readJsonl(central).filter((e) => e.kind === 'attack').length >= 3 || undefined, 20_000)
  await agent.line('the unreachable sink\'s error in the log', (l) => l.code === 'SW_ERR_SINK', 20_000)
  const metrics = await (await fetch(`http://${String(metricsLine.address)}/metrics`)).text()

  await app.proc.stop('SIGTERM')
  await agent.stop('SIGTERM')
  await collector.stop('SIGTERM')

  // What went through, redacted: the evidence is still there, only the secret values are not.
  const attacks = readJsonl(jsonl).filter((e) => e.kind === 'attack')
  t.ok(attacks.some((e) => String(e.attack.input.value).startsWith('[redacted]; echo done')), 'the access key id in an attack input is redacted, the rest kept')
  t.ok(readJsonl(jsonl).some((e) => e.kind === 'process.exec' && JSON.stringify(e).includes('--password=[redacted]')), 'the command line keeps the flag, not the password')

  const places: Array<[string, string]> = [
    ...[jsonl, central, db, `${db}-wal`, ...filesUnder(join(dir, 'sidewatch-data'))].filter(existsSync).map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
    ['the agent\'s log', agent.text.join('')],
    ['the collector\'s log', collector.text.join('')],
    ['/metrics', metrics],
  ]
  t.ok(places.length >= 7, `looked in ${places.length} places`)
  for (const [where, text] of places) {
    // Each secret as it is, and URL-encoded (as it sits in a request's URL).
    const forms = (secret: string): string[] => [secret, encodeURIComponent(secret)]
    const found = Object.entries(SECRETS).filter(([, secret]) => forms(secret).some((f) => text.includes(f))).map(([name]) => name)
    const hit = found.length === 0 ? undefined : forms(SECRETS[found[0] as keyof typeof SECRETS]).find((f) => text.includes(f))
    const first = hit === undefined ? -1 : text.indexOf(hit)
    t.same(found, [], `no secret in ${where.replace(dir, '.')}${first < 0 ? '' : `: …${text.slice(Math.max(0, first - 80), first + 60)}…`}`)
  }
})
