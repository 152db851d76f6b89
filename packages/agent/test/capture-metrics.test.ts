// A flow source's counters on /metrics and in agent.stats: read at each scrape or report,
// labels only from the fixed sets (skip reasons, record ends).
import t from 'tap'
import { AgentMetrics } from '../src/metrics'
import { StatsReporter } from '../src/stats'
import { createLogger } from '../src/log'
import type { AgentStatsEvent } from '@sidewatch/proto'
import { metric } from './helpers/agent'

t.test('/metrics: packets, kernel drops, skips by reason, records by end, flows; read live', async (t) => {
  const metrics = new AgentMetrics({ processMetrics: false })
  let counters: Record<string, Record<string, number>> = {
    capture: { packets: 10, ps_recv: 12, ps_drop: 2, ps_ifdrop: 1, 'skipped.not_ip': 3, 'skipped.fragment': 0, 'records.fin': 4, 'records.idle': 1, flows: 5, events_dropped: 0 },
  }
  metrics.flowSource(() => counters)
  let text = await metrics.registry.metrics()
  t.equal(metric(text, 'sidewatch_capture_packets_total'), 10)
  t.equal(metric(text, 'sidewatch_capture_kernel_received_total'), 12)
  t.equal(metric(text, 'sidewatch_capture_kernel_dropped_total'), 2)
  t.equal(metric(text, 'sidewatch_capture_interface_dropped_total'), 1)
  t.equal(metric(text, 'sidewatch_capture_skipped_total', { reason: 'not_ip' }), 3)
  t.equal(metric(text, 'sidewatch_flow_records_total', { end: 'fin' }), 4)
  t.equal(metric(text, 'sidewatch_flows'), 5)
  t.match(text, /# TYPE sidewatch_capture_packets_total counter/)

  counters = { capture: { ...counters.capture, packets: 25 }, 'net.poll': { 'records.poll': 7, flows: 2 } }
  text = await metrics.registry.metrics()
  t.equal(metric(text, 'sidewatch_capture_packets_total'), 25, 'the current value at each scrape')
  t.equal(metric(text, 'sidewatch_flow_records_total', { end: 'poll' }), 7, 'a capture that fell back to polling shows both')
})

t.test('agent.stats: one event per component besides the agent\'s own', async (t) => {
  const written: AgentStatsEvent[] = []
  const reporter = new StatsReporter(new AgentMetrics({ processMetrics: false }), { write: async (events) => { written.push(...events) } }, createLogger('silent'))
  reporter.addComponents(() => ({ capture: { packets: 3, ps_drop: 0 } }))
  reporter.addComponents(() => { throw new Error('broken component') })
  await reporter.report()
  t.same(written.map((e) => e.stats.component), ['agent', 'capture'], 'a broken component does not stop the report')
  t.same(written[1]?.stats.counters, { packets: 3, ps_drop: 0 })
  t.match(written[1], { kind: 'agent.stats', source: 'agent', pid: process.pid })
})
