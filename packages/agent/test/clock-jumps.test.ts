// Fault injection: the agent's wall clock jumps back an hour, then forward two, while a client
// sends (fixtures/clock/jumping-clock.js moves Date, not the monotonic clock, as a real clock
// change does). Ingest goes on, every acknowledged event is stored once with the time the clock
// said, a new attack after each jump raises its alert at once, and the agent stops in time.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { readJsonl, startAgent, tempDir, waitFor } from './helpers/agent'
import { events, TestClient } from './helpers/client'

const HOUR = 3_600_000

t.test('wall clock set back an hour, then forward two: nothing stalls, nothing is lost', async (t) => {
  const dir = tempDir(t)
  const clockFile = join(dir, 'clock-offset')
  const agent = await startAgent(t, { dir, env: { NODE_OPTIONS: `--require ${join(__dirname, 'fixtures', 'clock', 'jumping-clock.js')}`, SIDEWATCH_TEST_CLOCK_FILE: clockFile } })
  const client = await TestClient.greeted(agent.tcp)
  const sent: string[] = []
  let seq = 0
  const attack = (n: number): ReturnType<typeof events.exec> => ({ id: randomUUID(), ts: new Date().toISOString(), kind: 'attack', source: 'node-asm', service: `svc-${n}`, attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.cmd', value: `x; id ${n}` }, blocked: false } }) as unknown as ReturnType<typeof events.exec>
  const round = async (n: number): Promise<void> => {
    const batch = [...Array.from({ length: 50 }, () => events.exec()), attack(n)]
    t.match(await client.batch(++seq, batch), { ack: { accepted: batch.length } }, `round ${n} acknowledged`)
    sent.push(...batch.map((e) => e.id))
    await waitFor(`round ${n}'s alert`, () => readJsonl(agent.jsonl).find((e) => e.kind === 'alert' && e.service === `svc-${n}`))
  }
  const jump = async (offsetMs: number): Promise<void> => {
    writeFileSync(clockFile, String(offsetMs))
    agent.proc.child.kill('SIGUSR2')
    await agent.proc.line('the clock jumped', (l) => l.msg === 'test clock jumped' && l.offset_ms === offsetMs)
  }

  await round(1)
  await jump(-HOUR)
  await round(2)
  await jump(HOUR)
  await round(3)

  client.socket.destroy()
  // Exit 0 is a stop within the agent's own 5 s budget (past it, the agent exits 1).
  t.equal((await agent.proc.stop()).code, 0, 'a clean stop in time after the jumps')
  const stored = readJsonl(agent.jsonl).filter((e) => e.kind === 'process.exec' || e.kind === 'attack').map((e) => e.id as string)
  t.same([...new Set(stored)].sort(), [...sent].sort(), 'every acknowledged event stored')
  t.equal(stored.length, sent.length, 'each once')
})
