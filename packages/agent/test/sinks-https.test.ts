// The https sink and the collector that receives it, over real TLS on loopback: stored once per
// event id, keys checked, certificates verified, Retry-After honoured under a 429 storm.
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { createLogger } from '../src/log'
import { HttpsSink, retryAfterMs } from '../src/sinks/https'
import { parseSinkSpec } from '../src/sinks/parse'
import { SinkPump } from '../src/spool/sink-pump'
import { Spool } from '../src/spool/spool'
import { spawnAgent, tempDir, waitFor } from './helpers/agent'
import { certificate } from './helpers/certificate'

const log = createLogger('silent')
const ctx = { log, onError: () => {} }
const event = (i: number): SidewatchEvent => ({ id: `ev-${i}`, ts: '2026-11-27T10:00:00.000Z', source: 'agent', kind: 'agent.stats', stats: { component: 'test', counters: { i } } }) as SidewatchEvent

async function startCollector (t: { teardown: (fn: () => unknown) => void }, dir: string, tls: { cert: string, key: string }): Promise<{ url: string, out: string, stop: () => Promise<unknown> }> {
  const out = join(dir, 'central.jsonl')
  const proc = spawnAgent(['collect', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${out}`, '--tls-cert', tls.cert, '--tls-key', tls.key], { SIDEWATCH_COLLECT_KEYS: 'key-one,key-two' })
  t.teardown(() => proc.stop())
  const ready = await proc.line('collecting', (l) => l.msg === 'collecting')
  return { url: ready.url as string, out, stop: () => proc.stop() }
}

const ids = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id)

t.test('batches over TLS to the collector, stored once per event id', async (t) => {
  const dir = tempDir(t)
  const tls = certificate(dir, 'server')
  const collector = await startCollector(t, dir, tls)
  t.match(collector.url, /^https:\/\/127\.0\.0\.1:\d+\/v1\/events$/)
  const sink = await HttpsSink.open(collector.url, ctx, { SIDEWATCH_KEY: 'key-two', SIDEWATCH_CA_FILE: tls.cert })
  t.teardown(() => sink.close())
  const batch = Array.from({ length: 500 }, (_, i) => event(i))
  await sink.write(batch)
  await sink.write(batch) // at least once: the collector drops the repeats
  await sink.write([event(500)])
  await collector.stop()
  t.same(ids(collector.out), Array.from({ length: 501 }, (_, i) => `ev-${i}`))
})

t.test('a wrong key and an untrusted certificate are refused with clear errors', async (t) => {
  const dir = tempDir(t)
  const tls = certificate(dir, 'server')
  const other = certificate(dir, 'other')
  const collector = await startCollector(t, dir, tls)
  const wrongKey = await HttpsSink.open(collector.url, ctx, { SIDEWATCH_KEY: 'not-a-key', SIDEWATCH_CA_FILE: tls.cert })
  await t.rejects(wrongKey.write([event(1)]), { name: 'SinkHttpError', status: 401, message: /answered 401 \(the deployment key was refused\)/ })
  await wrongKey.close()
  const wrongCa = await HttpsSink.open(collector.url, ctx, { SIDEWATCH_KEY: 'key-one', SIDEWATCH_CA_FILE: other.cert })
  await t.rejects(wrongCa.write([event(1)]), { name: 'SinkHttpError', message: /presented a certificate that is not trusted .*SIDEWATCH_CA_FILE/ })
  await wrongCa.close()
  const noCa = await HttpsSink.open(collector.url, ctx, { SIDEWATCH_KEY: 'key-one' })
  await t.rejects(noCa.write([event(1)]), { message: /not trusted/ }, 'a self-signed collector without its CA: refused')
  await noCa.close()
})

t.test('a 429 storm: the spool waits out each Retry-After and loses nothing', async (t) => {
  const dir = tempDir(t)
  const received: string[] = []
  const attempts: number[] = []
  let refusals = 2
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      attempts.push(Date.now())
      if (refusals-- > 0) { res.writeHead(429, { 'retry-after': '1' }); res.end('slow down'); return }
      const { gunzipSync } = require('node:zlib') as typeof import('node:zlib')
      for (const e of (JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { events: Array<{ id: string }> }).events) received.push(e.id)
      res.writeHead(200).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const sink = await HttpsSink.open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`, ctx, { SIDEWATCH_KEY: 'k' })
  const spool = Spool.open(join(dir, 'spool'), { sinks: [sink.name] })
  const pump = new SinkPump(spool, sink, { log, minBackoffMs: 1, maxBackoffMs: 5 })
  spool.append(Array.from({ length: 50 }, (_, i) => Buffer.from(JSON.stringify(event(i)))))
  pump.start()
  await waitFor('delivered', () => received.length === 50 ? true : undefined, 20_000)
  await pump.stop()
  await sink.close()
  spool.close()
  t.same(received, Array.from({ length: 50 }, (_, i) => `ev-${i}`))
  t.equal(attempts.length, 3)
  t.ok((attempts[1] as number) - (attempts[0] as number) >= 950 && (attempts[2] as number) - (attempts[1] as number) >= 950, 'each retry came after Retry-After')
})

t.test('specs and keys', async (t) => {
  t.same(parseSinkSpec('https://collector.example.com/v1/events'), { type: 'https', url: 'https://collector.example.com/v1/events' })
  t.throws(() => parseSinkSpec('http://collector.example.com/v1/events'), { code: 'SW_ERR_SINK', message: /over https only/ })
  t.throws(() => parseSinkSpec('https://user:secret@collector.example.com/'), { code: 'SW_ERR_SINK', message: /no credentials in the URL/ })
  await t.rejects(HttpsSink.open('https://collector.example.com/', ctx, {}), { code: 'SW_ERR_SINK', message: /needs the deployment key in SIDEWATCH_KEY/ })
  const keyFile = join(tempDir(t), 'key')
  writeFileSync(keyFile, 'from-a-file\n')
  const sink = await HttpsSink.open('https://collector.example.com/', ctx, { SIDEWATCH_KEY_FILE: keyFile })
  await sink.close()
  t.equal(retryAfterMs('7'), 7000)
  t.equal(retryAfterMs(new Date(Date.now() + 3000).toUTCString()) as number > 1000, true)
  t.equal(retryAfterMs('soon'), undefined)
})
