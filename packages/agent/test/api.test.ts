// The programmatic API: startAgent embeds the agent in another process (tests, a future
// `collect` command) with the same behaviour as `sidewatch-agent run`.
import t from 'tap'
import { join } from 'node:path'
import { createLogger, startAgent } from '../src/index'
import { readJsonl } from './helpers/agent'
import { TestClient, events } from './helpers/client'

t.test('startAgent → addresses, close() flushes', async (t) => {
  const dir = t.testdir()
  const jsonl = join(dir, 'e.jsonl')
  const agent = await startAgent({
    listen: ['tcp://127.0.0.1:0', `unix:${join(dir, 'a.sock')}`],
    sinks: [`jsonl:${jsonl}`, `sqlite:${join(dir, 'e.db')}`],
    token: 'api-token',
    capture: 'off',
    proc: 'off',
  }, { log: createLogger('silent') })
  t.match(agent.addresses, [/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/, `unix:${join(dir, 'a.sock')}`])
  t.equal(agent.metricsAddress, undefined, 'no metrics server unless asked')
  const client = await TestClient.greeted(agent.addresses[0] as string, { token: 'api-token' })
  const sent = [events.exec(), events.alert()]
  t.match(await client.batch(1, sent), { ack: { accepted: 2 } })
  await agent.close()
  await client.waitClosed()
  t.same(readJsonl(jsonl).filter((e) => e.kind !== 'agent.stats'), sent)
  await agent.close()
  t.pass('close is idempotent')
})

t.test('a bad spec or an unopenable sink fails start-up and leaves nothing listening', async (t) => {
  const log = createLogger('silent')
  await t.rejects(startAgent({ listen: ['tcp://nowhere'], sinks: ['jsonl:-'] }, { log }), { code: 'SW_ERR_LISTEN' })
  await t.rejects(startAgent({ listen: ['tcp://127.0.0.1:0'], sinks: ['jsonl:/no/such/dir/e.jsonl'] }, { log }), { code: 'SW_ERR_SINK' })
  const dir = t.testdir()
  const first = await startAgent({ listen: ['tcp://127.0.0.1:0'], sinks: [`jsonl:${join(dir, 'a.jsonl')}`] }, { log })
  await t.rejects(startAgent({ listen: ['tcp://127.0.0.1:0', first.addresses[0] as string], sinks: [`jsonl:${join(dir, 'b.jsonl')}`] }, { log }),
    { code: 'SW_ERR_LISTEN_FAILED', message: /address already in use/ })
  await first.close()
})
