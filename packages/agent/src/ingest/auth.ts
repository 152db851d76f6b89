/**
 * The hello token check. Both sides are hashed first so the comparison is constant-time and
 * independent of the token lengths (timingSafeEqual needs equal-length inputs).
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export type TokenCheck = (token: string | undefined) => 'ok' | 'missing' | 'wrong'

export function createTokenCheck (expected: string | undefined): TokenCheck {
  if (expected === undefined) return () => 'ok'
  const want = sha256(expected)
  return (token) => {
    // Hash even a missing token so both failure paths cost the same.
    const match = timingSafeEqual(sha256(token ?? ''), want)
    if (token === undefined) return 'missing'
    return match ? 'ok' : 'wrong'
  }
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
