// Runs one shared vector case through this package's decoder, exactly as the vectors'
// description says; the Python and Ruby runners do the same in their languages.
import { FrameDecoder, decodeFrame, ProtocolError, type Frame, type Message } from '../src/index'
import { checkMessage, validateEvent } from '../src/schema/index'

export interface VectorCase {
  id: number
  comment: string
  flags: string[]
  hex: string
  chunks?: number[] | 'bytewise'
  max_frame_size?: number
  decoded: unknown[]
  result: 'valid' | 'invalid'
  error?: string
  field?: string
  accepted?: number
}

export interface Outcome {
  decoded: Message[]
  errors: Array<{ code: string, field: string | undefined }>
  accepted: number | undefined
}

export function chunksOf (c: VectorCase): Buffer[] {
  const bytes = Buffer.from(c.hex, 'hex')
  if (c.chunks === 'bytewise') return [...bytes].map((b) => Buffer.from([b]))
  const cuts = [0, ...(c.chunks ?? []), bytes.length]
  return cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end))
}

export function runCase (c: VectorCase): Outcome {
  const decoder = new FrameDecoder({ maxFrameSize: c.max_frame_size })
  const out: Outcome = { decoded: [], errors: [], accepted: undefined }
  const fail = (err: unknown): boolean => {
    if (!(err instanceof ProtocolError)) throw err
    out.errors.push({ code: err.code, field: err.field })
    return err.fatal
  }
  let stopped = false
  const onFrame = (frame: Frame): void => {
    if (stopped) return
    try {
      const message = decodeFrame(frame, { maxFrameSize: decoder.maxFrameSize })
      checkMessage(message)
      if (message.type === 'events') {
        const issues = message.events.map(validateEvent)
        const bad = issues.findIndex((issue) => issue !== undefined)
        if (bad >= 0) {
          out.errors.push({ code: 'SW_ERR_INVALID_EVENT', field: `/events/${bad}${issues[bad]?.field ?? ''}` })
          out.accepted = issues.filter((issue) => issue === undefined).length
          return
        }
      }
      out.decoded.push(message)
    } catch (err) {
      stopped = fail(err)
    }
  }
  for (const chunk of chunksOf(c)) {
    try {
      decoder.push(chunk, onFrame)
    } catch (err) {
      fail(err)
      return out
    }
    if (stopped) return out
  }
  try {
    decoder.end()
  } catch (err) {
    fail(err)
  }
  return out
}
