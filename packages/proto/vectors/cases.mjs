// Hand-written source of the shared protocol test vectors.
// `npm run vectors` turns this into frames.json (the file every language's tests read);
// a test fails when frames.json is stale. Keep cases readable: say what each one proves.
import { gzipSync } from 'node:zlib'

/** A frame around raw payload bytes; `flags` defaults to 0. */
export const raw = (payload, flags = 0) => {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8')
  const head = Buffer.alloc(5)
  head[0] = flags
  head.writeUInt32BE(body.length, 1)
  return Buffer.concat([head, body])
}
/** A frame holding a message as compact JSON (the canonical encoding). */
export const frame = (message) => raw(JSON.stringify(message))
/** A gzip frame holding a message. */
export const gz = (message) => raw(gzipSync(Buffer.from(JSON.stringify(message)), { level: 6 }), 1)
/** A header declaring `length` bytes, with no payload after it. */
export const header = (length, flags = 0) => {
  const head = Buffer.alloc(5)
  head[0] = flags
  head.writeUInt32BE(length, 1)
  return head
}

const TS = '2026-11-26T14:52:15.123Z'
let n = 0
const id = () => `0192d4c0-7b3a-4f00-8000-${String(++n).padStart(12, '0')}`
const env = (kind) => ({ id: id(), ts: TS, kind, source: 'node-asm', service: 'shop', pid: 4242 })

export const hello = {
  type: 'hello', version: '1.0', token: 's3cret-token', runtime: { name: 'node', version: '20.20.2' },
  sdk: { name: '@sidewatch/node-asm', version: '0.1.0' }, service: 'shop', pid: 4242, host: 'app-1',
}
const helloMinimal = {
  type: 'hello', version: '1.0', runtime: { name: 'python', version: '3.11.7' },
  sdk: { name: 'sidewatch-python', version: '0.1.0' }, service: 'worker', pid: 7,
}
const welcome = { type: 'welcome', version: '1.0', agent_version: '0.1.0', session_id: 's-1', config: { mode: 'monitor' } }

export const events = {
  'process.exec': { ...env('process.exec'), exec: { method: 'spawn', file: '/bin/ls', args: ['-l', '/tmp'], shell: false, command_line: '/bin/ls -l /tmp', pid: 4250 } },
  'http.request': { ...env('http.request'), request_id: 'r-1', http: { method: 'GET', url: '/search?q=shoes', route: '/search', status: 200, duration_ms: 3.5, client: { address: '203.0.113.9', port: 51234 }, user_agent: 'curl/8.0' } },
  'http.client': { ...env('http.client'), http: { method: 'GET', url: 'http://198.51.100.7:8080/price', host: '198.51.100.7', port: 8080, status: 200, remote: { address: '198.51.100.7', port: 8080 } } },
  'fs.op': { ...env('fs.op'), fs: { op: 'readFile', path: '/srv/app/public/logo.png', flags: 'r', api: 'sync' } },
  attack: { ...env('attack'), request_id: 'r-2', attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.host', value: 'x; cat /etc/passwd' }, target: 'ping -c1 x; cat /etc/passwd', request: { method: 'GET', route: '/ping' }, frame: '/srv/app/routes/ping.js:12:5', blocked: false } },
  dependency: { ...env('dependency'), dependency: { name: 'express', version: '5.1.0' } },
  'process.start': { ...env('process.start'), source: 'agent.proc', process: { pid: 311, ppid: 1, exe: '/usr/bin/curl', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', comm: 'curl', cmdline: ['curl', '-s', 'http://198.51.100.7/'], uid: 1000, user: 'app', tty: '/dev/pts/0', sid: 300, container_id: 'a1b2c3' } },
  'process.exit': { ...env('process.exit'), source: 'agent.proc', process: { pid: 311, exit_code: 0 } },
  'net.flow': { ...env('net.flow'), source: 'agent.net', flow: { proto: 'tcp', src: '192.0.2.10', sport: 40000, dst: '198.51.100.7', dport: 443, first: 1795704735.123456, last: 1795704736.5, src_pkts: 6, src_bytes: 520, dst_pkts: 5, dst_bytes: 4300, end: 'fin', scope: 'outbound', tcp_flags: 'SAFP' } },
  'login.ssh': { ...env('login.ssh'), source: 'agent.proc', login: { user: 'root', pid: 900, tty: '/dev/pts/1', peer: { address: '203.0.113.50', port: 52000 } } },
  cloudtrail: { ...env('cloudtrail'), source: 'agent.cloudtrail', cloudtrail: { event_id: 'e7c5ed2b-1c1a-4a5c-9a5e-0f2c1d9b7f00', event_name: 'ExecuteCommand', event_source: 'ecs.amazonaws.com', event_time: '2026-11-26T14:50:00Z', region: 'us-east-1', record: { eventVersion: '1.08', eventName: 'ExecuteCommand' } } },
  alert: { ...env('alert'), source: 'rules', alert: { rule: 'Interactive Session', priority: 'warning', output: 'shell with a tty in container app', tags: ['T1059'], evidence: ['0192d4c0-7b3a-4f00-8000-000000000007'], count: 1 } },
  'agent.stats': { ...env('agent.stats'), source: 'agent', stats: { component: 'sdk', counters: { dropped_events: 12 } } },
  'http.summary': { ...env('http.summary'), http: { start: '2026-11-26T14:52:05.000Z', end: '2026-11-26T14:52:15.000Z', server: [{ method: 'GET', route: '/products/:id', status: 200, count: 1830, duration_ms_sum: 2210.5, duration_ms_max: 41.2 }, { method: 'GET', status: 404, count: 3, duration_ms_sum: 0.9, duration_ms_max: 0.4 }], client: [{ method: 'GET', host: '198.51.100.7', port: 8080, status: 200, count: 1829, duration_ms_sum: 1650, duration_ms_max: 12.25 }] } },
}

const batch = (seq, evs) => ({ type: 'events', seq, events: evs })
const exec = events['process.exec']
const without = (obj, key) => { const copy = structuredClone(obj); delete copy[key]; return copy }
const withBody = (ev, body, patch) => ({ ...ev, [body]: { ...ev[body], ...patch } })

/**
 * Each case: `stream` (the bytes), optional `chunks` (offsets where the stream is cut before it is
 * fed to the decoder, or 'bytewise'), `messages` (every message that passes all checks, in order),
 * and for invalid cases `error` (the first error code), `field` and, for event errors, `accepted`.
 */
export const cases = [
  // --- valid: one message of each type ---
  { comment: 'hello with token, runtime and sdk', flags: ['handshake'], stream: frame(hello), messages: [hello] },
  { comment: 'hello with only the required fields', flags: ['handshake'], stream: frame(helloMinimal), messages: [helloMinimal] },
  { comment: 'hello from a newer minor version is accepted (minor versions only add)', flags: ['handshake', 'version'], stream: frame({ ...hello, version: '1.7' }), messages: [{ ...hello, version: '1.7' }] },
  { comment: 'hello with a drop count after a reconnect', flags: ['handshake'], stream: frame({ ...hello, dropped: 17 }), messages: [{ ...hello, dropped: 17 }] },
  { comment: 'welcome in monitor mode', flags: ['handshake'], stream: frame(welcome), messages: [welcome] },
  { comment: 'welcome in block mode', flags: ['handshake'], stream: frame({ ...welcome, config: { mode: 'block' } }), messages: [{ ...welcome, config: { mode: 'block' } }] },
  { comment: 'error with code, field and seq', flags: [], stream: frame({ type: 'error', code: 'SW_ERR_INVALID_EVENT', message: 'process.exec event: /pid: Expected integer', field: '/events/0/pid', seq: 3 }), messages: [{ type: 'error', code: 'SW_ERR_INVALID_EVENT', message: 'process.exec event: /pid: Expected integer', field: '/events/0/pid', seq: 3 }] },
  { comment: 'ack', flags: [], stream: frame({ type: 'ack', seq: 9, accepted: 99, rejected: 1 }), messages: [{ type: 'ack', seq: 9, accepted: 99, rejected: 1 }] },
  { comment: 'ping without id', flags: [], stream: frame({ type: 'ping' }), messages: [{ type: 'ping' }] },
  { comment: 'ping and pong with ids', flags: ['joined'], stream: Buffer.concat([frame({ type: 'ping', id: 5 }), frame({ type: 'pong', id: 5 })]), messages: [{ type: 'ping', id: 5 }, { type: 'pong', id: 5 }] },
  { comment: 'events batch with no events', flags: [], stream: frame(batch(0, [])), messages: [batch(0, [])] },
  // --- valid: one event of every kind ---
  ...Object.entries(events).map(([kind, ev], i) => ({
    comment: `events batch with one ${kind} event`, flags: ['each-kind'], stream: frame(batch(i + 1, [ev])), messages: [batch(i + 1, [ev])],
  })),
  { comment: 'events batch with all thirteen kinds', flags: ['each-kind'], stream: frame(batch(100, Object.values(events))), messages: [batch(100, Object.values(events))] },
  { comment: 'an event with a field this version does not know is accepted (forward compatible)', flags: ['forward'], stream: frame(batch(101, [{ ...exec, future_field: { x: 1 } }])), messages: [batch(101, [{ ...exec, future_field: { x: 1 } }])] },
  { comment: 'multi-byte UTF-8 in strings (accents, CJK, emoji)', flags: ['utf8'], stream: frame(batch(102, [withBody(exec, 'exec', { args: ['café', '日本', '🦀'], command_line: '/bin/ls café 日本 🦀' })])), messages: [batch(102, [withBody(exec, 'exec', { args: ['café', '日本', '🦀'], command_line: '/bin/ls café 日本 🦀' })])] },
  // --- valid: stream shapes ---
  { comment: 'three frames joined in one chunk', flags: ['joined'], stream: Buffer.concat([frame(hello), frame(batch(1, [exec])), frame({ type: 'ping' })]), messages: [hello, batch(1, [exec]), { type: 'ping' }] },
  { comment: 'frame split inside its 5-byte header', flags: ['split'], stream: frame(hello), chunks: [2], messages: [hello] },
  { comment: 'frame split inside its payload', flags: ['split'], stream: frame(hello), chunks: [40], messages: [hello] },
  { comment: 'frame split right after its header', flags: ['split'], stream: frame(hello), chunks: [5], messages: [hello] },
  { comment: 'two frames, cut so the second header straddles chunks', flags: ['split', 'joined'], stream: Buffer.concat([frame({ type: 'ping' }), frame({ type: 'pong' })]), chunks: [10, 23], messages: [{ type: 'ping' }, { type: 'pong' }] },
  { comment: 'a frame delivered one byte at a time', flags: ['split', 'bytewise'], stream: frame({ type: 'ack', seq: 1, accepted: 1, rejected: 0 }), chunks: 'bytewise', messages: [{ type: 'ack', seq: 1, accepted: 1, rejected: 0 }] },
  { comment: 'gzip-compressed hello', flags: ['gzip'], stream: gz(hello), messages: [hello] },
  { comment: 'gzip-compressed events batch', flags: ['gzip'], stream: gz(batch(7, Object.values(events))), messages: [batch(7, Object.values(events))] },
  { comment: 'gzip and plain frames mixed', flags: ['gzip', 'joined'], stream: Buffer.concat([gz({ type: 'ping' }), frame({ type: 'pong' })]), messages: [{ type: 'ping' }, { type: 'pong' }] },
  { comment: 'JSON with insignificant whitespace is accepted', flags: ['noncanonical'], stream: raw('{ "type" : "ping",\n  "id": 1 }\n'), messages: [{ type: 'ping', id: 1 }] },
  { comment: 'a frame exactly at a 64-byte maximum', flags: ['max_frame_size', 'noncanonical'], max_frame_size: 64, stream: raw(`{"type":"ping","id":1${' '.repeat(64 - 22)}}`), messages: [{ type: 'ping', id: 1 }] },

  // --- invalid: framing (fatal: the connection is closed) ---
  { comment: 'declared length one byte over the 1 MiB default', flags: ['framing'], stream: header(1048577), error: 'SW_ERR_FRAME_TOO_LARGE' },
  { comment: 'declared length 0xFFFFFFFF', flags: ['framing'], stream: header(0xffffffff), error: 'SW_ERR_FRAME_TOO_LARGE' },
  { comment: 'a 65-byte frame against a 64-byte maximum', flags: ['framing', 'max_frame_size'], max_frame_size: 64, stream: raw(`{"type":"ping","id":1${' '.repeat(65 - 22)}}`), error: 'SW_ERR_FRAME_TOO_LARGE' },
  { comment: 'a good frame, then an oversized one: the first is delivered', flags: ['framing', 'joined'], stream: Buffer.concat([frame({ type: 'ping' }), header(2000000)]), messages: [{ type: 'ping' }], error: 'SW_ERR_FRAME_TOO_LARGE' },
  { comment: 'gzip payload inflating past the maximum (a small zip bomb)', flags: ['framing', 'gzip'], stream: raw(gzipSync(Buffer.alloc(2 * 1048576, 0x20), { level: 9 }), 1), error: 'SW_ERR_FRAME_TOO_LARGE' },
  { comment: 'undefined flag bit 1', flags: ['framing'], stream: raw('{"type":"ping"}', 0x02), error: 'SW_ERR_FRAME_FLAGS' },
  { comment: 'undefined flag bit 7 with gzip', flags: ['framing'], stream: raw('{"type":"ping"}', 0x81), error: 'SW_ERR_FRAME_FLAGS' },
  { comment: 'stream ends inside a header', flags: ['framing', 'truncated'], stream: Buffer.from([0, 0, 0]), error: 'SW_ERR_FRAME_TRUNCATED' },
  { comment: 'stream ends inside a payload', flags: ['framing', 'truncated'], stream: frame(hello).subarray(0, 30), error: 'SW_ERR_FRAME_TRUNCATED' },
  { comment: 'a whole frame, then the stream ends inside the next', flags: ['framing', 'truncated', 'joined'], stream: Buffer.concat([frame({ type: 'ping' }), frame({ type: 'pong' }).subarray(0, 8)]), messages: [{ type: 'ping' }], error: 'SW_ERR_FRAME_TRUNCATED' },

  // --- invalid: payload (this message is rejected, the connection stays up) ---
  { comment: 'zero-length payload', flags: ['empty'], stream: raw(''), error: 'SW_ERR_EMPTY_MESSAGE' },
  { comment: 'gzip flag on bytes that are not gzip', flags: ['gzip'], stream: raw('{"type":"ping"}', 0x01), error: 'SW_ERR_DECOMPRESS' },
  { comment: 'bytes 0xFF 0xFE are never UTF-8', flags: ['utf8'], stream: raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), error: 'SW_ERR_INVALID_UTF8' },
  { comment: 'overlong encoding of "/" (0xC0 0xAF)', flags: ['utf8'], stream: raw(Buffer.concat([Buffer.from('{"type":"ping","x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])), error: 'SW_ERR_INVALID_UTF8' },
  { comment: 'an encoded UTF-16 surrogate (0xED 0xA0 0x80)', flags: ['utf8'], stream: raw(Buffer.concat([Buffer.from('{"type":"ping","x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])), error: 'SW_ERR_INVALID_UTF8' },
  { comment: 'invalid UTF-8 inside a gzip payload', flags: ['utf8', 'gzip'], stream: raw(gzipSync(Buffer.from([0x7b, 0xff, 0x7d])), 1), error: 'SW_ERR_INVALID_UTF8' },
  { comment: 'JSON cut short', flags: ['json'], stream: raw('{"type":"ping"'), error: 'SW_ERR_INVALID_JSON' },
  { comment: 'JSON followed by garbage', flags: ['json'], stream: raw('{"type":"ping"} x'), error: 'SW_ERR_INVALID_JSON' },
  { comment: 'not JSON at all', flags: ['json'], stream: raw('GET / HTTP/1.1\r\n\r\n'), error: 'SW_ERR_INVALID_JSON' },
  { comment: 'a JSON array is not a message', flags: ['json'], stream: raw('[{"type":"ping"}]'), error: 'SW_ERR_INVALID_MESSAGE', field: '' },
  { comment: 'a JSON string is not a message', flags: ['json'], stream: raw('"ping"'), error: 'SW_ERR_INVALID_MESSAGE', field: '' },
  { comment: 'a message without type', flags: ['type'], stream: raw('{"seq":1}'), error: 'SW_ERR_UNKNOWN_MESSAGE_TYPE', field: '/type' },
  { comment: 'an unknown message type', flags: ['type'], stream: frame({ type: 'subscribe', topic: 'all' }), error: 'SW_ERR_UNKNOWN_MESSAGE_TYPE', field: '/type' },
  { comment: 'type is a number', flags: ['type'], stream: raw('{"type":42}'), error: 'SW_ERR_UNKNOWN_MESSAGE_TYPE', field: '/type' },
  { comment: 'type matching is case-sensitive', flags: ['type'], stream: frame({ ...hello, type: 'HELLO' }), error: 'SW_ERR_UNKNOWN_MESSAGE_TYPE', field: '/type' },
  { comment: 'after a rejected message the next one on the stream still decodes', flags: ['type', 'joined'], stream: Buffer.concat([frame({ type: 'ping' }), frame({ type: 'nope' }), frame({ type: 'pong' })]), messages: [{ type: 'ping' }, { type: 'pong' }], error: 'SW_ERR_UNKNOWN_MESSAGE_TYPE', field: '/type' },

  // --- invalid: version ---
  { comment: 'hello with major version 2', flags: ['version'], stream: frame({ ...hello, version: '2.0' }), error: 'SW_ERR_UNSUPPORTED_VERSION', field: '/version' },
  { comment: 'hello with major version 0', flags: ['version'], stream: frame({ ...hello, version: '0.9' }), error: 'SW_ERR_UNSUPPORTED_VERSION', field: '/version' },
  { comment: 'hello with a version that is not major.minor', flags: ['version'], stream: frame({ ...hello, version: '1' }), error: 'SW_ERR_UNSUPPORTED_VERSION', field: '/version' },

  // --- invalid: message shape ---
  { comment: 'hello without service', flags: ['shape'], stream: frame(without(hello, 'service')), error: 'SW_ERR_INVALID_MESSAGE', field: '/service' },
  { comment: 'hello with a negative pid', flags: ['shape'], stream: frame({ ...hello, pid: -1 }), error: 'SW_ERR_INVALID_MESSAGE', field: '/pid' },
  { comment: 'hello with a numeric token', flags: ['shape'], stream: frame({ ...hello, token: 12345 }), error: 'SW_ERR_INVALID_MESSAGE', field: '/token' },
  { comment: 'events without seq', flags: ['shape'], stream: frame({ type: 'events', events: [exec] }), error: 'SW_ERR_INVALID_MESSAGE', field: '/seq' },
  { comment: 'events whose events is an object', flags: ['shape'], stream: frame({ type: 'events', seq: 1, events: { 0: exec } }), error: 'SW_ERR_INVALID_MESSAGE', field: '/events' },
  { comment: 'ack with a fractional seq', flags: ['shape'], stream: frame({ type: 'ack', seq: 1.5, accepted: 1, rejected: 0 }), error: 'SW_ERR_INVALID_MESSAGE', field: '/seq' },
  { comment: 'welcome with an unknown mode', flags: ['shape'], stream: frame({ ...welcome, config: { mode: 'panic' } }), error: 'SW_ERR_INVALID_MESSAGE', field: '/config/mode' },
  { comment: 'error with a code outside the SW_ERR_ namespace', flags: ['shape'], stream: frame({ type: 'error', code: 'oops', message: 'x' }), error: 'SW_ERR_INVALID_MESSAGE', field: '/code' },

  // --- invalid: event schema (that event is rejected; the others in the batch are kept) ---
  { comment: 'event of an unknown kind', flags: ['schema'], stream: frame(batch(1, [{ ...exec, kind: 'process.teleport' }])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/kind' },
  { comment: 'event without kind', flags: ['schema'], stream: frame(batch(1, [without(exec, 'kind')])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/kind' },
  { comment: 'event without id', flags: ['schema'], stream: frame(batch(1, [without(exec, 'id')])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/id' },
  { comment: 'event id with a space', flags: ['schema'], stream: frame(batch(1, [{ ...exec, id: 'a b' }])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/id' },
  { comment: 'ts that is not RFC 3339', flags: ['schema'], stream: frame(batch(1, [{ ...exec, ts: '26/11/2026 14:52' }])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/ts' },
  { comment: 'ts as epoch number', flags: ['schema'], stream: frame(batch(1, [{ ...exec, ts: 1795704735 }])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/ts' },
  { comment: 'process.exec without its exec body', flags: ['schema'], stream: frame(batch(1, [without(exec, 'exec')])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/exec' },
  { comment: 'process.exec args given as a string', flags: ['schema'], stream: frame(batch(1, [withBody(exec, 'exec', { args: '-l /tmp' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/exec/args' },
  { comment: 'process.exec shell given as a string', flags: ['schema'], stream: frame(batch(1, [withBody(exec, 'exec', { shell: 'yes' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/exec/shell' },
  { comment: 'net.flow source port out of range', flags: ['schema'], stream: frame(batch(1, [withBody(events['net.flow'], 'flow', { sport: 70000 })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/flow/sport' },
  { comment: 'net.flow with an unknown end reason', flags: ['schema'], stream: frame(batch(1, [withBody(events['net.flow'], 'flow', { end: 'vanished' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/flow/end' },
  { comment: 'process.start sha256 in upper case', flags: ['schema'], stream: frame(batch(1, [withBody(events['process.start'], 'process', { sha256: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/process/sha256' },
  { comment: 'alert with a priority that does not exist', flags: ['schema'], stream: frame(batch(1, [withBody(events.alert, 'alert', { priority: 'urgent' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/alert/priority' },
  { comment: 'http.summary row with a count of zero', flags: ['schema'], stream: frame(batch(1, [withBody(events['http.summary'], 'http', { server: [{ method: 'GET', count: 0, duration_ms_sum: 0, duration_ms_max: 0 }] })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/http/server/0/count' },
  { comment: 'attack with an unknown class', flags: ['schema'], stream: frame(batch(1, [withBody(events.attack, 'attack', { class: 'xss' })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/attack/class' },
  { comment: 'a field longer than its limit (exec.file over 4096 characters)', flags: ['schema', 'limits'], stream: frame(batch(1, [withBody(exec, 'exec', { file: '/' + 'a'.repeat(4096) })])), error: 'SW_ERR_INVALID_EVENT', field: '/events/0/exec/file' },
  { comment: 'the second event is bad: the first is still accepted', flags: ['schema'], stream: frame(batch(1, [exec, { ...events['fs.op'], pid: 'x' }])), error: 'SW_ERR_INVALID_EVENT', field: '/events/1/pid', accepted: 1 },
]
