/**
 * Shell-style globs for the `glob` operator: `*` any run of characters (slashes included, as in
 * Falco), `?` one character, `[abc]` / `[a-z]` / `[!x]` a class; everything else literal.
 * Compiled once to an anchored regular expression; undefined for an unclosed class or one no
 * regular expression can hold (a range out of order, `[z-a]`).
 */
export function globToRegExp (glob: string): RegExp | undefined {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') source += '[\\s\\S]*'
    else if (c === '?') source += '[\\s\\S]'
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2)
      if (close === -1) return undefined
      let body = glob.slice(i + 1, close)
      const negate = body.startsWith('!') || body.startsWith('^')
      if (negate) body = body.slice(1)
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      i = close
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    }
  }
  try {
    return new RegExp(`^${source}$`)
  } catch {
    return undefined
  }
}
