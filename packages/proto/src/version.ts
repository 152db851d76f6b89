import { ProtocolError } from './errors'

/** The protocol version this package speaks, `major.minor`. Minor versions only add. */
export const PROTOCOL_VERSION = '1.0'
/** Major versions an agent built from this package accepts. */
export const SUPPORTED_MAJORS: readonly number[] = [1]

/** Throws SW_ERR_UNSUPPORTED_VERSION unless `version` is `major.minor` with a supported major. */
export function checkVersion (version: string): void {
  const match = /^(\d{1,4})\.(\d{1,4})$/.exec(version)
  const major = match === null ? NaN : Number(match[1])
  if (!SUPPORTED_MAJORS.includes(major)) {
    const spoken = SUPPORTED_MAJORS.map((m) => `${m}.x`).join(', ')
    throw new ProtocolError('SW_ERR_UNSUPPORTED_VERSION',
      `protocol version ${JSON.stringify(version)} is not supported; this side speaks ${spoken}`, '/version')
  }
}
