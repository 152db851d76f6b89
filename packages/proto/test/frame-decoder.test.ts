import t from 'tap'
import { FrameDecoder, encodeFrame, encodeMessage, ProtocolError, decodeFrame } from '../src/index'

/** A tiny deterministic PRNG so failures reproduce. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
}

t.test('any cutting of a stream yields the same frames', async (t) => {
  const messages = Array.from({ length: 50 }, (_, i) => ({ type: 'ping' as const, id: i }))
  const stream = Buffer.concat(messages.map((m, i) => encodeMessage(m, { compress: i % 3 === 0 })))
  const rand = rng(7)
  for (let round = 0; round < 200; round++) {
    const decoder = new FrameDecoder()
    const got: unknown[] = []
    let at = 0
    while (at < stream.length) {
      const size = 1 + Math.floor(rand() * 64)
      decoder.push(stream.subarray(at, at + size), (f) => got.push(decodeFrame(f)))
      at += size
    }
    decoder.end()
    if (JSON.stringify(got) !== JSON.stringify(messages)) t.fail(`round ${round} decoded differently`)
  }
  t.pass('200 random cuttings agree')
})

t.test('an oversized frame is refused from its header, before its payload arrives', async (t) => {
  const decoder = new FrameDecoder({ maxFrameSize: 100 })
  const header = encodeFrame(Buffer.alloc(101)).subarray(0, 5)
  t.throws(() => decoder.push(header, () => t.fail('no frame')), { code: 'SW_ERR_FRAME_TOO_LARGE' })
  t.equal(decoder.bufferedBytes, 0, 'nothing kept')
  t.throws(() => decoder.push(Buffer.from([0]), () => t.fail('no frame')), { code: 'SW_ERR_FRAME_TOO_LARGE' }, 'stays failed')
})

t.test('a large frame in many small chunks is not re-copied per chunk', async (t) => {
  const payload = Buffer.alloc(900 * 1024, 0x61)
  const frame = encodeFrame(payload)
  const decoder = new FrameDecoder()
  let frames = 0
  for (let at = 0; at < frame.length; at += 1000) {
    decoder.push(frame.subarray(at, at + 1000), () => frames++)
  }
  t.equal(frames, 1)
  t.equal(decoder.bufferedBytes, 0)
})

t.test('errors carry stable codes and say what was expected', async (t) => {
  const err = new ProtocolError('SW_ERR_FRAME_TOO_LARGE', 'x')
  t.equal(err.fatal, true)
  t.equal(new ProtocolError('SW_ERR_INVALID_EVENT', 'x').fatal, false)
  const decoder = new FrameDecoder({ maxFrameSize: 10 })
  try {
    decoder.push(encodeFrame(Buffer.alloc(11)), () => t.fail('no frame'))
    t.fail('should throw')
  } catch (e) {
    t.match((e as Error).message, /declares 11 bytes; the maximum is 10/)
  }
})
