/** TypeBox shapes of the wire messages; checked by `checkMessage`. */
import { Type } from '@sinclair/typebox'

const Str = (maxLength = 256) => Type.String({ maxLength })
const NameVersion = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), version: Str(64) })
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const MESSAGE_SCHEMAS = {
  hello: Type.Object({
    type: Type.Literal('hello'),
    version: Str(16),
    token: Type.Optional(Str(1024)),
    runtime: NameVersion,
    sdk: NameVersion,
    service: Type.String({ minLength: 1, maxLength: 256 }),
    pid: Type.Integer({ minimum: 0 }),
    host: Type.Optional(Str()),
    container: Type.Optional(Str()),
    dropped: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  welcome: Type.Object({
    type: Type.Literal('welcome'),
    version: Str(16),
    agent_version: Str(64),
    session_id: Str(128),
    config: Type.Object({ mode: Type.Union([Type.Literal('monitor'), Type.Literal('block')]) }),
  }),
  error: Type.Object({
    type: Type.Literal('error'),
    code: Type.String({ pattern: '^SW_ERR_[A-Z0-9_]+$', maxLength: 64 }),
    message: Str(4096),
    field: Type.Optional(Str(1024)),
    seq: Type.Optional(Seq),
  }),
  events: Type.Object({
    type: Type.Literal('events'),
    seq: Seq,
    // Events are checked one by one (validateEvent) so one bad event does not sink its batch.
    events: Type.Array(Type.Unknown()),
  }),
  ack: Type.Object({
    type: Type.Literal('ack'),
    seq: Seq,
    accepted: Type.Integer({ minimum: 0 }),
    rejected: Type.Integer({ minimum: 0 }),
  }),
  ping: Type.Object({ type: Type.Literal('ping'), id: Type.Optional(Seq) }),
  pong: Type.Object({ type: Type.Literal('pong'), id: Type.Optional(Seq) }),
} as const
