/**
 * The part of node-pcap (npm `pcap` 3.1.0, a nan addon over libpcap) that live capture uses:
 * its native session, typed here and loaded lazily, so that a machine without the built addon
 * fails only when capture is asked for.
 *
 * The native session rather than pcap.js's `createSession`: pcap.js starts a libuv poll on the
 * capture socket that holds the event loop open after `close()` until another packet arrives
 * (libpcap, non-blocking, only notices its break flag while reading a packet), wraps every
 * packet in a new object and emits it through an EventEmitter. Driving `dispatch` from an
 * unref'd timer has none of that.
 *
 * `open_live` returns the link type as a name for the types node-pcap knows
 * (`LINKTYPE_ETHERNET`, ...) and `Unknown linktype N` (N the DLT number) for the others;
 * `linkTypeNumber` turns it into the LINKTYPE number of the pcap file format, which is what
 * decodeFrame takes. Each packet is copied into the buffers given to `dispatch`: the frame (up
 * to the buffer's length) and the 16-byte header (tv_sec, tv_usec, caplen, len: 32-bit
 * little-endian), and then `onPacket` is called with no arguments.
 */
import { AgentError } from '../../errors'

export interface PcapStats {
  ps_recv: number
  ps_drop: number
  ps_ifdrop: number
}

export interface NativePcapSession {
  /** Opens a live capture; returns the link type name. Throws libpcap's error text. */
  open_live: (device: string, filter: string, bufferSize: number, snapLength: number, outFile: string,
    onPacket: () => void, monitor: boolean, bufferTimeoutMs: number, onWarning: (text: string) => void, promiscuous: boolean) => string
  /**
   * Reads every packet available now (non-blocking), calling onPacket for each. Returns the
   * last pcap_dispatch result: 0 when drained, -1 on error, -2 when a close() completed (the
   * handle is then released).
   */
  dispatch: (buf: Buffer, header: Buffer) => number
  /** Breaks the capture loop; the handle is released by a later dispatch that returns -2. */
  close: () => void
  stats: () => PcapStats
}

export interface PcapBinding {
  PcapSession: new () => NativePcapSession
  lib_version: () => string
}

let loaded: PcapBinding | undefined

export function loadPcapBinding (): PcapBinding {
  if (loaded !== undefined) return loaded
  try {
    loaded = require('pcap/build/Release/pcap_binding.node') as PcapBinding
  } catch (err) {
    throw new AgentError('SW_ERR_CAPTURE', `the pcap module (node-pcap) could not be loaded: ${(err as Error).message}`, { cause: err })
  }
  return loaded
}

const LINK_TYPES: Record<string, number> = {
  LINKTYPE_NULL: 0,
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  LINKTYPE_IEEE802_11_RADIO: 127,
}

/** DLT numbers that differ from their LINKTYPE numbers (Linux values). */
const DLT_TO_LINKTYPE: Record<number, number> = { 12: 101, 14: 101 }

/** The LINKTYPE number of a node-pcap link type name; -1 when it is not one. */
export function linkTypeNumber (name: string): number {
  const known = LINK_TYPES[name]
  if (known !== undefined) return known
  const m = /^Unknown linktype (\d+)$/.exec(name)
  if (m === null) return -1
  const dlt = Number(m[1])
  return DLT_TO_LINKTYPE[dlt] ?? dlt
}
