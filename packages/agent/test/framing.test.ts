// Broken input on one connection: framing errors close that connection only, message errors
// are answered and the connection goes on, and the agent keeps serving everyone else.
import t, { type Test } from 'tap'
import { gzipSync } from 'node:zlib'
import { encodeFrame, encodeMessage } from '@sidewatch/proto'
import { httpGet, metric, startAgent, waitFor, waitForMetric, type Agent } from './helpers/agent'
import { TestClient, events, helloMessage } from './helpers/client'

function header (flags: number, length: number): Buffer {
  const b = Buffer.alloc(5)
  b[0] = flags
  b.writeUInt32BE(length, 1)
  return b
}

t.test('framing and message errors', async (t) => {
  const agent: Agent = await startAgent(t)
  const bystander = await TestClient.greeted(agent.unix)
  let pingId = 0
  const bystanderStillServed = async (t: Test): Promise<void> => {
    const id = ++pingId
    bystander.send({ type: 'ping', id })
    t.same(await bystander.next(), { type: 'pong', id }, 'the other client is still served')
  }

  const fatal: Array<[string, string, (c: TestClient) => void]> = [
    ['garbage bytes', 'SW_ERR_FRAME_FLAGS', (c) => c.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))],
    ['an oversized frame', 'SW_ERR_FRAME_TOO_LARGE', (c) => c.sendRaw(Buffer.concat([header(0, 2 * 1024 * 1024), Buffer.alloc(64 * 1024)]))],
    ['unknown flag bits', 'SW_ERR_FRAME_FLAGS', (c) => c.sendRaw(Buffer.concat([header(0x82, 2), Buffer.from('{}')]))],
    ['a gzip payload inflating past the maximum', 'SW_ERR_FRAME_TOO_LARGE',
      (c) => c.sendRaw(encodeFrame(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), {}).fill(1, 0, 1))],
  ]
  for (const [what, code, send] of fatal) {
    t.test(`${what}: ${code}, that connection closed`, async (t) => {
      for (const greeted of [false, true]) {
        const client = greeted ? await TestClient.greeted(agent.tcp) : await TestClient.connect(agent.tcp)
        send(client)
        t.match(await client.next(), { type: 'error', code }, greeted ? 'after hello' : 'before hello')
        await client.waitClosed()
      }
      await bystanderStillServed(t)
    })
  }

  t.test('valid frames before a framing error in the same chunk are still handled', async (t) => {
    const client = await TestClient.greeted(agent.tcp)
    client.sendRaw(Buffer.concat([encodeMessage({ type: 'ping', id: 1 }), encodeMessage({ type: 'ping', id: 2 }), header(0x40, 1)]))
    t.same(await client.next(), { type: 'pong', id: 1 })
    t.same(await client.next(), { type: 'pong', id: 2 })
    t.match(await client.next(), { type: 'error', code: 'SW_ERR_FRAME_FLAGS' })
    await client.waitClosed()
  })

  t.test('a client that disconnects mid-frame is counted and logged', async (t) => {
    const before = metric((await httpGet(agent.metrics, '/metrics')).body, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_FRAME_TRUNCATED' }) ?? 0
    const client = await TestClient.greeted(agent.tcp)
    const frame = encodeMessage({ type: 'events', seq: 1, events: [events.exec()] })
    client.sendRaw(frame.subarray(0, 40))
    client.socket.end()
    t.match(await client.next(), { type: 'error', code: 'SW_ERR_FRAME_TRUNCATED' }, 'told, if it still reads')
    await client.waitClosed()
    const line = await agent.proc.line('truncation logged', (l) => l.code === 'SW_ERR_FRAME_TRUNCATED')
    t.match(line, { level: 'warn', msg: 'protocol error', service: 'checkout', pid: 4242 })
    await waitForMetric(agent, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_FRAME_TRUNCATED' }, before + 1)
    // Before the handshake, without reading the reply.
    const early = await TestClient.connect(agent.tcp)
    early.sendRaw(encodeMessage(helloMessage() as never).subarray(0, 12))
    early.destroy()
    await waitForMetric(agent, 'sidewatch_protocol_errors_total', { code: 'SW_ERR_FRAME_TRUNCATED' }, before + 2)
    await bystanderStillServed(t)
  })

  t.test('message errors are answered and the connection goes on', async (t) => {
    const client = await TestClient.greeted(agent.tcp)
    const cases: Array<[string, Buffer, string]> = [
      ['unknown message type', encodeMessage({ type: 'subscribe' } as never), 'SW_ERR_UNKNOWN_MESSAGE_TYPE'],
      ['invalid JSON', encodeFrame(Buffer.from('{"type":')), 'SW_ERR_INVALID_JSON'],
      ['invalid UTF-8', encodeFrame(Buffer.from([0x7b, 0xff, 0x7d])), 'SW_ERR_INVALID_UTF8'],
      ['empty payload', encodeFrame(Buffer.alloc(0)), 'SW_ERR_EMPTY_MESSAGE'],
      ['corrupt gzip', encodeFrame(Buffer.from('not gzip')).fill(1, 0, 1), 'SW_ERR_DECOMPRESS'],
      ['events without seq', encodeMessage({ type: 'events', events: [] } as never), 'SW_ERR_INVALID_MESSAGE'],
      ['a message only the agent sends', encodeMessage({ type: 'ack', seq: 1, accepted: 0, rejected: 0 }), 'SW_ERR_INVALID_MESSAGE'],
    ]
    for (const [what, bytes, code] of cases) {
      client.sendRaw(bytes)
      t.match(await client.next(), { type: 'error', code }, what)
      client.send({ type: 'ping', id: 99 })
      t.same(await client.next(), { type: 'pong', id: 99 }, `still up after ${what}`)
    }
    client.send({ type: 'events', seq: 5, events: [events.exec()] }, { compress: true })
    t.match(await client.next(), { type: 'ack', seq: 5, accepted: 1 }, 'a gzipped batch is fine')
    await client.close()
  })

  t.test('frames cut at every byte are reassembled', async (t) => {
    const client = await TestClient.connect(agent.tcp)
    const stream = Buffer.concat([encodeMessage(helloMessage() as never), encodeMessage({ type: 'events', seq: 1, events: [events.exec(), events.fsOp()] })])
    for (let i = 0; i < stream.length; i++) client.sendRaw(stream.subarray(i, i + 1))
    t.match(await client.next(), { type: 'welcome' })
    t.match(await client.next(), { type: 'ack', seq: 1, accepted: 2, rejected: 0 })
    await client.close()
  })

  t.test('a client that does not read its replies is throttled, and loses nothing', async (t) => {
    const client = await TestClient.greeted(agent.unix)
    client.socket.pause()
    const count = 100_000
    const pings = Buffer.concat(Array.from({ length: count }, (_, id) => encodeMessage({ type: 'ping', id })))
    client.sendRaw(pings)
    await bystanderStillServed(t)
    // Had the agent read on and queued the replies in memory, this would be 0 by now.
    t.ok(client.socket.writableLength > 0, `the agent stopped reading (${client.socket.writableLength} bytes wait on the client)`)
    client.socket.resume()
    await waitFor('every pong', () => client.replies.length === count || undefined)
    t.ok(client.replies.every((r, i) => r.type === 'pong' && r.id === i), 'all answered, in order')
    client.replies.length = 0
    await client.close()
  })

  t.test('every connection error left the agent running', async (t) => {
    await bystanderStillServed(t)
    await bystander.close()
    await waitForMetric(agent, 'sidewatch_connections', {}, 0)
  })
})
