/**
 * A flow record as a `net.flow` event: the record's fields as the `flow` body (the contract's
 * names), the owning process when known, and the agent's envelope (source `agent.net`).
 * Records from /proc/net polling end `poll` and carry no packet or byte counts.
 */
import { randomUUID } from 'node:crypto'
import type { NetFlowEvent } from '@sidewatch/proto'
import type { FlowRecord } from '../flow-tracker'
import type { SocketOwner } from './socket-owners'

/** A tracker record, or a polled connection (end `poll`, counts 0). */
export type FlowEventRecord = Omit<FlowRecord, 'end'> & { end: FlowRecord['end'] | 'poll' }

export interface FlowEnvelope { host: string, pid: number }

export function flowEvent (record: FlowEventRecord, owner: SocketOwner | undefined, envelope: FlowEnvelope): NetFlowEvent {
  const flow: NetFlowEvent['flow'] = { ...record }
  if (owner !== undefined) flow.process = owner.exe === undefined ? { pid: owner.pid } : { pid: owner.pid, exe: owner.exe }
  return {
    id: randomUUID(),
    ts: new Date().toISOString(),
    source: 'agent.net',
    host: envelope.host,
    pid: envelope.pid,
    kind: 'net.flow',
    flow,
  }
}

/**
 * The local end of a flow, as [address, port, remote address, remote port]: the responder of an
 * inbound flow, else the initiator (outbound, and intra-task where both ends are local).
 */
export function localEnd (record: FlowEventRecord): [string, number, string, number] {
  return record.scope === 'inbound'
    ? [record.dst, record.dport, record.src, record.sport]
    : [record.src, record.sport, record.dst, record.dport]
}
