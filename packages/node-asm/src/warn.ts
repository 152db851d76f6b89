/**
 * The SDK's only output: one line per error code for the life of the process, on stderr,
 * prefixed `sidewatch:`. Internal failures are also counted so `stats()` can show them.
 */
import type { SdkErrorCode } from './errors'

const warned = new Set<string>()
let internalErrors = 0

/** Writes `sidewatch: CODE: message` once per `code`; later calls with the same code are silent. */
export function warnOnce (code: SdkErrorCode | string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  try {
    process.stderr.write(`sidewatch: ${code}: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
  } catch {
    // stderr closed or broken: nothing more we can do, and nothing the app should see.
  }
}

/** Records an SDK failure that was caught on its way to the application. */
export function internalError (where: string, err: unknown): void {
  internalErrors++
  const what = err instanceof Error ? err.message : String(err)
  warnOnce('SW_ERR_INTERNAL', `${where} failed (${what}); the application is not affected`)
}

export function internalErrorCount (): number {
  return internalErrors
}
