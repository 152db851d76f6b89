// The webhook sink: alerts only, as Slack-compatible messages, from the agent's rules; the hook's
// secret path never in the logs.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { startAgent, waitFor } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('an alert reaches the hook as a Slack-compatible message; other events do not', async (t) => {
  const got: Array<{ path: string, body: { text: string } }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => { got.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) }); res.writeHead(200).end('ok') })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const hook = `webhook+http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/s3cr3t`
  const agent = await startAgent(t, { args: ['--sink', hook] })
  const client = await TestClient.greeted(agent.tcp)
  t.teardown(() => client.close())
  const attack = { id: 'atk-9', ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: 'checkout', attack: { class: 'ssrf', sink: 'http.request', input: { name: 'query.url', value: 'http://169.254.169.254/' }, target: 'http://169.254.169.254/latest/meta-data/', blocked: true } }
  await client.batch(1, [events.httpRequest(), attack, events.fsOp()])
  const message = await waitFor('the alert at the hook', () => got[0])
  t.equal(message.path, '/services/T000/B000/s3cr3t')
  t.match(message.body.text, /^:red_circle: \*ERROR\* Server-side request forgery \(checkout\)\nSSRF in http\.request to http:\/\/169\.254\.169\.254\/latest\/meta-data\/ from query\.url=/)
  t.match(message.body.text, /\ntags: application, mitre_initial_access, T1190, T1552\.005 · alert [\w-]+ at \d{4}-/)
  t.equal((await agent.proc.stop()).code, 0)
  t.equal(got.length, 1, 'only the alert')
  t.notOk(agent.proc.text.some((line) => line.includes('s3cr3t')), 'the secret path is never logged')
})
