/**
 * Shell-style globs for the `glob` operator: `*` any run of characters (slashes included, as in
 * Falco), `?` one character, `[abc]` / `[a-z]` / `[!x]` a class; everything else literal.
 *
 * Matched by the classic wildcard walk, which on a mismatch goes back only to the last `*`: at
 * most (value length × pattern length) steps, whatever the value. The values come from events (a
 * command line, a path an attacker chose), so a pattern with several stars must not backtrack
 * the way a regular expression does (`*a*a*a*a*b` against a long run of `a`: seconds, or hours).
 */
export interface Glob { test (value: string): boolean }

/** A pattern position: `*`, or a test of one character (UTF-16 code unit, as JavaScript indexes). */
type Step = true | ((c: string) => boolean)

const STAR = true

/** The compiled glob; undefined for an unclosed class or a range out of order (`[z-a]`). */
export function compileGlob (glob: string): Glob | undefined {
  const steps: Step[] = []
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') {
      if (steps[steps.length - 1] !== STAR) steps.push(STAR)
    } else if (c === '?') {
      steps.push(() => true)
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2)
      if (close === -1) return undefined
      let body = glob.slice(i + 1, close)
      const negate = body.startsWith('!') || body.startsWith('^')
      if (negate) body = body.slice(1)
      let cls: RegExp
      try {
        cls = new RegExp(`^[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]$`)
      } catch {
        return undefined
      }
      steps.push((ch) => cls.test(ch))
      i = close
    } else {
      steps.push((ch) => ch === c)
    }
  }
  return { test: (value) => walk(steps, value) }
}

function walk (steps: readonly Step[], value: string): boolean {
  const n = value.length
  const m = steps.length
  let p = 0
  let s = 0
  let star = -1
  let mark = 0
  while (s < n) {
    const step = steps[p]
    if (p < m && step !== STAR && (step as (c: string) => boolean)(value[s] as string)) {
      p++
      s++
    } else if (p < m && step === STAR) {
      star = p++
      mark = s
    } else if (star !== -1) {
      p = star + 1
      s = ++mark
    } else {
      return false
    }
  }
  while (p < m && steps[p] === STAR) p++
  return p === m
}
