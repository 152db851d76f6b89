#!/usr/bin/env node
// Generates packages/proto/vectors/frames.json from vectors/cases.mjs, and
// packages/proto/event-schema.json from the TypeBox schema (needs `npm run build` first).
// `--check` writes nothing and exits 1 when either file is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { cases } from '../vectors/cases.mjs'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const require = createRequire(import.meta.url)
const { eventJsonSchema } = require('../dist/schema/index.js')
const { PROTOCOL_VERSION } = require('../dist/index.js')

const notes = {
  handshake: 'hello and welcome messages',
  version: 'protocol version negotiation: a newer minor is fine, another major is refused',
  joined: 'several frames arrive in one chunk',
  split: 'the stream is fed in pieces, cut at the byte offsets in `chunks` ("bytewise": one byte per piece)',
  bytewise: 'one byte per chunk',
  gzip: 'payload gzip-compressed (flag bit 0); decode only: gzip output differs between zlib builds, so encoders need not reproduce these bytes',
  noncanonical: 'payload is not in canonical form (compact JSON, keys in the order shown); decode only',
  max_frame_size: 'the case sets its own maximum frame size in `max_frame_size` instead of the 1 MiB default',
  framing: 'a framing error: fatal, the receiver reports it and closes the connection',
  truncated: 'the stream ends inside a frame',
  empty: 'a zero-length payload',
  utf8: 'UTF-8 handling',
  json: 'JSON syntax and top-level shape',
  type: 'the message type discriminator',
  shape: 'the shape of a message of a known type',
  schema: 'an event that violates the event schema: only that event is rejected; `accepted` counts the good ones in its batch',
  'each-kind': 'one valid event of each kind',
  forward: 'forward compatibility: unknown properties are allowed',
  limits: 'a field over its size limit',
}

const vectors = {
  protocol: 'sidewatch-wire',
  version: PROTOCOL_VERSION,
  description: 'Frames are [flags:u8][length:u32 BE][payload]. Feed `hex` (cut at `chunks`) to a streaming decoder with `max_frame_size` (default 1048576); decode each payload (gzip if flag bit 0, UTF-8, JSON object with a known `type`), check its shape (hello: version too) and, for events messages, each event. `decoded` lists every message that passed all checks, in order; a non-fatal error rejects one message and decoding goes on; a fatal error (framing, version) stops the stream. Invalid cases give the first error as `error` and `field` (JSON Pointer into the message). Valid cases without the gzip or noncanonical flag must re-encode, message by message, to exactly `hex` (compact JSON, keys in the order given, UTF-8 unescaped).',
  default_max_frame_size: 1048576,
  notes,
  number_of_tests: cases.length,
  cases: cases.map((c, i) => {
    for (const f of c.flags) if (!(f in notes)) throw new Error(`case ${i + 1}: flag ${f} has no note`)
    const out = { id: i + 1, comment: c.comment, flags: c.flags, hex: c.stream.toString('hex') }
    if (c.chunks !== undefined) out.chunks = c.chunks
    if (c.max_frame_size !== undefined) out.max_frame_size = c.max_frame_size
    out.decoded = c.messages ?? []
    out.result = c.error === undefined ? 'valid' : 'invalid'
    if (c.error !== undefined) out.error = c.error
    if (c.field !== undefined) out.field = c.field
    if (c.accepted !== undefined) out.accepted = c.accepted
    return out
  }),
}

const outputs = [
  [here('../vectors/frames.json'), JSON.stringify(vectors, null, 2) + '\n'],
  [here('../event-schema.json'), JSON.stringify(eventJsonSchema(), null, 2) + '\n'],
]
let stale = 0
for (const [file, text] of outputs) {
  let old = ''
  try { old = readFileSync(file, 'utf8') } catch {}
  if (old === text) continue
  if (process.argv.includes('--check')) {
    console.error(`stale: ${file} (run npm run vectors)`)
    stale++
  } else {
    writeFileSync(file, text)
    console.log(`wrote ${file}`)
  }
}
process.exit(stale === 0 ? 0 : 1)
