/**
 * `flows` output: each FlowRecord as one JSON line, keys in the contract's order, written as
 * bytes straight into a 256 KiB buffer that is flushed to a file descriptor when full. Building
 * the line as a string cost more than tracking the flow (a template of 30 parts makes as many
 * intermediate strings, then a join and an encoding); here numbers are written digit by digit
 * and nothing is allocated per record.
 *
 * The text is exactly what JSON.stringify would write for the record: integers as digits,
 * timestamps (microsecond multiples of a second) in the shortest form that reads back as the same
 * number (`1700000012.34`, `1700000013`), strings unescaped (addresses and fixed words never
 * need escaping).
 */
import { writeSync } from 'node:fs'
import type { FlowRecord } from '../net/flow-tracker'

const SIZE = 256 * 1024
/** A line is never longer than this (two 39-character IPv6 addresses and ten numbers). */
const MAX_LINE = 512

const enc = (text: string): Buffer => Buffer.from(text, 'latin1')
const K_PROTO = enc('{"proto":"')
const K_SRC = enc('","src":"')
const K_SPORT = enc('","sport":')
const K_DST = enc(',"dst":"')
const K_DPORT = enc('","dport":')
const K_FIRST = enc(',"first":')
const K_LAST = enc(',"last":')
const K_SRC_PKTS = enc(',"src_pkts":')
const K_SRC_BYTES = enc(',"src_bytes":')
const K_DST_PKTS = enc(',"dst_pkts":')
const K_DST_BYTES = enc(',"dst_bytes":')
const K_END = enc(',"end":"')
const K_SCOPE = enc('","scope":"')
const K_FLAGS = enc('","tcp_flags":"')
const K_CLOSE = enc('"}\n')

export class FlowRecordWriter {
  readonly #fd: number
  readonly #buf = Buffer.allocUnsafe(SIZE)
  #at = 0

  constructor (fd: number) {
    this.#fd = fd
  }

  write (r: FlowRecord): void {
    if (this.#at + MAX_LINE > SIZE) this.flush()
    this.#bytes(K_PROTO); this.#text(r.proto)
    this.#bytes(K_SRC); this.#text(r.src)
    this.#bytes(K_SPORT); this.#int(r.sport)
    this.#bytes(K_DST); this.#text(r.dst)
    this.#bytes(K_DPORT); this.#int(r.dport)
    this.#bytes(K_FIRST); this.#seconds(r.first)
    this.#bytes(K_LAST); this.#seconds(r.last)
    this.#bytes(K_SRC_PKTS); this.#int(r.src_pkts)
    this.#bytes(K_SRC_BYTES); this.#int(r.src_bytes)
    this.#bytes(K_DST_PKTS); this.#int(r.dst_pkts)
    this.#bytes(K_DST_BYTES); this.#int(r.dst_bytes)
    this.#bytes(K_END); this.#text(r.end)
    this.#bytes(K_SCOPE); this.#text(r.scope)
    this.#bytes(K_FLAGS); this.#text(r.tcp_flags)
    this.#bytes(K_CLOSE)
  }

  /** Writes out what is buffered (all of it: stdout may be a pipe that takes a part at a time). */
  flush (): void {
    for (let at = 0; at < this.#at;) {
      try {
        at += writeSync(this.#fd, this.#buf, at, this.#at - at)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue
        throw err
      }
    }
    this.#at = 0
  }

  #bytes (b: Buffer): void {
    b.copy(this.#buf, this.#at)
    this.#at += b.length
  }

  #text (s: string): void {
    const buf = this.#buf
    let at = this.#at
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i)
    this.#at = at
  }

  /** A non-negative integer below 2^53. */
  #int (n: number): void {
    const buf = this.#buf
    if (n < 10) { buf[this.#at++] = 48 + n; return }
    let digits = 1
    for (let p = 10; p <= n; p *= 10) digits++
    let at = this.#at + digits
    this.#at = at
    while (n >= 1) {
      const q = Math.floor(n / 10)
      buf[--at] = 48 + (n - q * 10)
      n = q
    }
  }

  /** Epoch seconds with microsecond precision, as JSON (and JavaScript) print them. */
  #seconds (s: number): void {
    if (!(s >= 0 && s < 2 ** 33)) { this.#text(JSON.stringify(s)); return } // outside what the digits below reproduce exactly
    const us = Math.round(s * 1e6)
    const whole = Math.floor(us / 1e6)
    let frac = us - whole * 1e6
    this.#int(whole)
    if (frac === 0) return
    const buf = this.#buf
    buf[this.#at++] = 46 // '.'
    let digits = 6
    while (frac % 10 === 0) { frac /= 10; digits-- }
    let at = this.#at + digits
    this.#at = at
    for (let i = 0; i < digits; i++) {
      const q = Math.floor(frac / 10)
      buf[--at] = 48 + (frac - q * 10)
      frac = q
    }
  }
}
