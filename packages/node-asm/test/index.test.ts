// The public entry point in this process: start() is idempotent, reports, stops cleanly.
import t from 'tap'
import cp = require('node:child_process')
import type { ProcessExecEvent } from '@sidewatch/proto'
import { getMode, start, stats } from '../src/index'
import { isWrapped } from '../src/instrumentations/child_process'
import { FakeAgent } from './helpers/fake-agent'
import { waitUntil } from './helpers/wait'

t.test('start → report → stop', async (t) => {
  const agent = await FakeAgent.start({ mode: 'block' })
  t.teardown(() => agent.close())
  const listeners = process.listenerCount('exit')
  const handle = start({ agent: agent.address, service: 'index-test', flushIntervalMs: 10, inventory: false })
  t.teardown(() => handle.stop())
  t.equal(start(), handle, 'a second start() returns the running SDK')
  t.equal(handle.enabled, true)
  t.ok(isWrapped(cp.execFileSync))

  await waitUntil('connected', () => stats().connected)
  t.equal(getMode(), 'block', 'mode from the welcome')
  cp.execFileSync('true')
  const [event] = await agent.waitFor('the event', () => agent.eventsOf('process.exec').length === 1 && agent.eventsOf('process.exec') as ProcessExecEvent[])
  t.match(event, { service: 'index-test', exec: { method: 'execFileSync', file: 'true' } })
  await waitUntil('acked', () => stats().acked === 1)
  t.match(handle.stats(), { queued: 0, sent: 1, acked: 1, dropped: 0, connected: true, internal_errors: 0 })

  handle.stop()
  t.notOk(isWrapped(cp.execFileSync), 'unpatched')
  t.equal(process.listenerCount('exit'), listeners, 'exit listener removed')
  t.equal(getMode(), 'monitor', 'nothing running')
  await agent.waitFor('the connection closed', () => agent.connections === 1 && agent.hellos.length === 1)
  const again = start({ agent: agent.address, service: 'index-test', inventory: false })
  t.not(again, handle, 'a fresh start after stop()')
  again.stop()
})

t.test('disabled: nothing patched, nothing connected', async (t) => {
  const agent = await FakeAgent.start()
  t.teardown(() => agent.close())
  const handle = start({ agent: agent.address, disabled: true })
  t.teardown(() => handle.stop())
  t.equal(handle.enabled, false)
  t.notOk(isWrapped(cp.spawn))
  t.match(handle.stats(), { connected: false, sent: 0 })
  t.equal(agent.connections, 0)
})
