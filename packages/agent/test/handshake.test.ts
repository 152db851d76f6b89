// The handshake: hello → welcome, token check, version check, hello-first and its timeout.
import t from 'tap'
import { startAgent, waitForMetric, TOKEN } from './helpers/agent'
import { TestClient, helloMessage } from './helpers/client'

t.test('with a token configured', async (t) => {
  const agent = await startAgent(t)

  t.test('a good hello gets a welcome, over tcp and over the unix socket', async (t) => {
    for (const address of [agent.tcp, agent.unix]) {
      const client = await TestClient.connect(address)
      const welcome = await client.hello()
      t.match(welcome, { type: 'welcome', version: '1.0', agent_version: '0.1.0', config: { mode: 'monitor' } }, address)
      t.match((welcome as { session_id: string }).session_id, /^[0-9a-f-]{36}$/)
      client.send({ type: 'ping', id: 7 })
      t.same(await client.next(), { type: 'pong', id: 7 }, 'ping answered with the same id')
      client.send({ type: 'ping' })
      t.same(await client.next(), { type: 'pong' }, 'ping without id')
      client.send(helloMessage())
      t.match(await client.next(), { type: 'error', code: 'SW_ERR_INVALID_MESSAGE' }, 'a second hello is refused')
      client.send({ type: 'ping', id: 8 })
      t.same(await client.next(), { type: 'pong', id: 8 }, 'and the connection stays up')
      await client.close()
    }
  })

  t.test('a wrong or missing token gets SW_ERR_AUTH and is closed; others are still served', async (t) => {
    const bystander = await TestClient.greeted(agent.tcp)
    for (const token of ['wrong-token', undefined]) {
      const client = await TestClient.connect(agent.tcp)
      const reply = await client.hello({ token })
      t.match(reply, { type: 'error', code: 'SW_ERR_AUTH', field: '/token' }, `token ${String(token)}`)
      await client.waitClosed()
    }
    const line = await agent.proc.line('auth failure logged', (l) => l.code === 'SW_ERR_AUTH')
    t.type(line.conn, 'number', 'log names the connection')
    t.match(line.peer, /^tcp:\/\/127\.0\.0\.1:\d+$/, 'log names the peer')
    t.notOk(JSON.stringify(agent.proc.lines).includes(TOKEN), 'the token never appears in the log')
    bystander.send({ type: 'ping', id: 1 })
    t.same(await bystander.next(), { type: 'pong', id: 1 }, 'an established client is unaffected')
    const fresh = await TestClient.greeted(agent.tcp)
    await fresh.close()
    await bystander.close()
    await waitForMetric(agent, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_AUTH' }, 2)
  })

  t.test('an unsupported major version is refused, naming the versions spoken', async (t) => {
    const client = await TestClient.connect(agent.tcp)
    const reply = await client.hello({ version: '2.0' })
    t.match(reply, { type: 'error', code: 'SW_ERR_UNSUPPORTED_VERSION', field: '/version', message: /1\.x/ })
    await client.waitClosed()
    const newer = await TestClient.connect(agent.tcp)
    t.match(await newer.hello({ version: '1.9' }), { type: 'welcome' }, 'a newer minor is fine')
    await newer.close()
  })

  t.test('anything before hello gets SW_ERR_HANDSHAKE_REQUIRED and is closed', async (t) => {
    for (const first of [{ type: 'events', seq: 1, events: [] }, { type: 'ping', id: 1 }]) {
      const client = await TestClient.connect(agent.tcp)
      client.send(first)
      t.match(await client.next(), { type: 'error', code: 'SW_ERR_HANDSHAKE_REQUIRED' }, first.type)
      await client.waitClosed()
    }
  })

  t.test('a malformed hello is answered and the handshake can still succeed', async (t) => {
    const client = await TestClient.connect(agent.tcp)
    client.send(helloMessage({ service: '' }))
    t.match(await client.next(), { type: 'error', code: 'SW_ERR_INVALID_MESSAGE', field: '/service' })
    t.match(await client.hello(), { type: 'welcome' })
    await client.close()
  })
})

t.test('without a token any client is accepted, with a warning at start-up', async (t) => {
  const agent = await startAgent(t, { token: null })
  const warning = await agent.proc.line('no-token warning', (l) => l.level === 'warn' && /no token/.test(l.msg))
  t.ok(warning, 'warned once')
  t.equal(agent.proc.lines.filter((l) => /no token/.test(l.msg)).length, 1, 'only once')
  for (const token of [undefined, 'anything']) {
    const client = await TestClient.connect(agent.tcp)
    t.match(await client.hello({ token }), { type: 'welcome' }, `token ${String(token)}`)
    await client.close()
  }
})

t.test('a client that never says hello is dropped after the handshake timeout', async (t) => {
  const agent = await startAgent(t, { config: { handshake_timeout: '300ms', mode: 'block' } })
  const started = Date.now()
  const silent = await TestClient.connect(agent.tcp)
  t.match(await silent.next(), { type: 'error', code: 'SW_ERR_HANDSHAKE_TIMEOUT' })
  await silent.waitClosed()
  // Far below the 10 s default: the configured 300 ms was used, however loaded the machine.
  t.ok(Date.now() - started < 8000, 'closed after the configured timeout, not the default')
  const client = await TestClient.connect(agent.unix)
  t.match(await client.hello(), { type: 'welcome', config: { mode: 'block' } }, 'mode from the config file')
  await client.close()
  await agent.proc.line('timeout logged', (l) => l.code === 'SW_ERR_HANDSHAKE_TIMEOUT')
})
