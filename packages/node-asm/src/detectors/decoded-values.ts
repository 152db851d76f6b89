/**
 * The forms of an input value that can reach a sink. Frameworks hand the app decoded query and
 * body values, so the value itself is what usually reaches the sink. An app that decodes again
 * (`decodeURIComponent(req.query.x)`) turns a double-encoded `%252e%252e%252f` (received as
 * `%2e%2e%2f`) into `../`: the detector must then look for the decoded form too.
 * Unicode escapes (`\u003b`) are decoded by JSON.parse before the app sees them, and are inert
 * at a shell, fs or URL sink, so they need no variant here.
 */

import type { RequestInput } from '../channels'

/** Decoding more than twice would only help apps that decode in a loop; none we know of. */
const MAX_DECODES = 2

/**
 * Per input object: a request's inputs are compared with every hooked call it makes, so each is
 * decoded once, not once per call. Kept under a symbol on the input (JSON does not see it; a
 * copy made by a spread carries it along, which the value check below makes harmless; a WeakMap
 * entry per input, or defineProperty, cost more than the decoding it saved).
 */
const kDecoded = Symbol('sidewatch.decoded')
type Cached = RequestInput & { [kDecoded]?: { value: string, values: readonly string[] } }

/** The forms of `input.value` to look for, cached on the input (recomputed if the value changed). */
export function inputValues (input: RequestInput): readonly string[] {
  const cached = (input as Cached)[kDecoded]
  if (cached !== undefined && cached.value === input.value) return cached.values
  const values = decodedValues(input.value)
  ;(input as Cached)[kDecoded] = { value: input.value, values }
  return values
}

/** The value, then each successive percent-decoding of it that differs (at most two). */
export function decodedValues (value: string): readonly string[] {
  if (!value.includes('%')) return [value]
  const values = [value]
  let current = value
  for (let i = 0; i < MAX_DECODES && current.includes('%'); i++) {
    const next = percentDecode(current)
    if (next === current) break
    values.push(next)
    current = next
  }
  return values
}

/** decodeURIComponent that leaves the value as is when it holds a malformed escape (`%zz`). */
function percentDecode (value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
