/** A seeded linear congruential generator for property tests: the same seed, the same cases. */
export function seededInts (seed: number): () => number {
  let state = seed >>> 0
  return () => { state = (state * 1103515245 + 12345) >>> 0; return state >>> 8 }
}

/** A string of 1..maxLength characters drawn from `alphabet`. */
export function randomText (next: () => number, alphabet: readonly string[], maxLength: number): string {
  let text = ''
  for (let n = 1 + (next() % maxLength); n > 0; n--) text += alphabet[next() % alphabet.length]
  return text
}
