export { ERROR_CODES, ProtocolError, isProtocolError, type ErrorCode } from './errors'
export { HEADER_SIZE, FLAG_GZIP, KNOWN_FLAGS, DEFAULT_MAX_FRAME_SIZE, encodeFrame, type EncodeFrameOptions } from './frame'
export { FrameDecoder, type Frame, type FrameDecoderOptions } from './frame-decoder'
export { encodeMessage, decodeFrame } from './codec'
export { PROTOCOL_VERSION, SUPPORTED_MAJORS, checkVersion } from './version'
export * from './messages'
export type {
  SidewatchEvent, EventKind, EventOf, Envelope,
  HttpRequestEvent, HttpClientEvent, ProcessExecEvent, FsOpEvent, AttackEvent, DependencyEvent,
  ProcessStartEvent, ProcessExitEvent, NetFlowEvent, LoginSshEvent, CloudTrailEvent, AlertEvent, AgentStatsEvent, HttpSummaryEvent, SshdPresenceEvent,
} from './schema/events'
