// ES module apps that `import` their framework (not require it): with the ESM preload the SDK
// still knows the route and the path parameters, so an option smuggled through a parameter is an
// attack, and the benign request is not.
import t from 'tap'
import type { AttackEvent, HttpRequestEvent } from '@sidewatch/proto'
import { FakeAgent } from './helpers/fake-agent'
import { runFixture } from './helpers/run-fixture'

for (const framework of ['express', 'fastify', 'koa']) {
  t.test(`${framework} imported as an ES module`, async (t) => {
    const agent = await FakeAgent.start()
    t.teardown(() => agent.close())
    const run = await runFixture('esm-frameworks.mjs', { preload: 'import', args: [framework], env: { SIDEWATCH_AGENT: agent.address, SIDEWATCH_INVENTORY: '0' } })
    t.equal(run.code, 0, run.stderr)
    t.same(JSON.parse(run.stdout), { statuses: [200, 200] }, 'monitor mode serves both')
    const requests = await agent.waitFor('two http.request events', () => {
      const got = agent.eventsOf('http.request') as HttpRequestEvent[]
      return got.length >= 2 && got
    })
    t.ok(requests.every((r) => r.http.route === '/users/:id'), `route template known: ${requests.map((r) => r.http.route).join(', ')}`)
    const attacks = agent.eventsOf('attack') as AttackEvent[]
    t.equal(attacks.length, 1, 'one attack, from the smuggled option only')
    t.match(attacks[0]?.attack, { class: 'command_injection', sink: 'child_process.execFile', input: { name: 'params.id', value: '--help', source: 'params' }, request: { route: '/users/:id' } })
  })
}
