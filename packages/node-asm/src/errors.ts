/**
 * Error codes of the SDK itself. None of these is ever thrown into the application: the SDK
 * catches its own failures, counts them, and prints at most one line per code to stderr
 * (`sidewatch: CODE: message`, see warn.ts). Codes the agent sends back on the wire
 * (SW_ERR_AUTH, SW_ERR_UNSUPPORTED_VERSION, ...) live in @sidewatch/proto.
 */
export const SDK_ERROR_CODES = {
  SW_ERR_CONFIG: 'an environment variable or start() option is invalid; the default is used instead',
  SW_ERR_AGENT_UNREACHABLE: 'the agent could not be reached; events are queued and the SDK keeps retrying',
  SW_ERR_AGENT_REJECTED: 'the agent refused the handshake (wrong token, unsupported protocol version, ...)',
  SW_ERR_AGENT_PROTOCOL: 'the agent sent bytes that are not valid sidewatch frames; the connection is dropped',
  SW_ERR_INTERNAL: 'an SDK hook or callback failed; the application call went through unchanged',
  SW_ERR_BLOCKED: 'block mode stopped a call that request input had turned into an attack (the one error the SDK raises in the application, in place of the call)',
} as const

export type SdkErrorCode = keyof typeof SDK_ERROR_CODES

/** An SDK failure with a stable code; created to be counted and reported, not thrown to the app. */
export class SdkError extends Error {
  override readonly name = 'SdkError'
  readonly code: SdkErrorCode

  constructor (code: SdkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export function isSdkError (err: unknown): err is SdkError {
  return err instanceof SdkError
}

/**
 * The error a blocked call fails with (block mode only), raised the way the blocked API reports
 * errors: thrown, passed to the callback, rejected, or emitted. It names the attack class so the
 * application's logs say why.
 */
export class BlockedError extends Error {
  override readonly name = 'SidewatchBlockedError'
  readonly code = 'SW_ERR_BLOCKED'
  readonly attackClass: string

  constructor (attackClass: string, sink: string) {
    super(`sidewatch blocked ${sink}: request input made it a ${attackClass.replace('_', ' ')}`)
    this.attackClass = attackClass
  }
}
