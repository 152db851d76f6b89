/**
 * The text of each event in a collector's request body, `{"events":[…]}`, as it came: sinks that
 * write JSON (jsonl) store it as it is instead of serialising the parsed event again (the
 * collector's largest cost after the parse itself).
 *
 * Only for a body JSON.parse has accepted: the walk below trusts the text to be valid JSON and
 * only finds where the top-level `events` array's elements begin and end. It gives up (undefined)
 * where it could be told a different story than JSON.parse: a top-level name with an escape in it
 * (`"\u0065vents"` is `events` to JSON.parse). Of repeated top-level `events` names it takes the
 * last, as JSON.parse does.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c

export function eventSlices (text: Buffer): Buffer[] | undefined {
  const n = text.length
  let i = skipSpace(text, 0)
  if (text[i] !== 0x7b) return undefined // {
  i = skipSpace(text, i + 1)
  let slices: Buffer[] | undefined
  while (i < n && text[i] !== 0x7d) { // }
    if (text[i] !== QUOTE) return undefined
    const keyEnd = skipString(text, i)
    if (keyEnd < 0 || text.subarray(i + 1, keyEnd - 1).includes(BACKSLASH)) return undefined
    const isEvents = keyEnd - i === 8 && text.toString('latin1', i + 1, keyEnd - 1) === 'events'
    i = skipSpace(text, keyEnd)
    if (text[i] !== 0x3a) return undefined // :
    i = skipSpace(text, i + 1)
    if (isEvents) {
      const found = elements(text, i)
      if (found === undefined) return undefined
      slices = found.slices
      i = found.end
    } else {
      i = skipValue(text, i)
      if (i < 0) return undefined
    }
    i = skipSpace(text, i)
    if (text[i] === 0x2c) i = skipSpace(text, i + 1) // ,
  }
  return slices
}

/** The elements of the array at `i`, and where it ends; undefined when `i` is not an array. */
function elements (text: Buffer, i: number): { slices: Buffer[], end: number } | undefined {
  if (text[i] !== 0x5b) return undefined // [
  const slices: Buffer[] = []
  i = skipSpace(text, i + 1)
  while (i < text.length && text[i] !== 0x5d) { // ]
    const end = skipValue(text, i)
    if (end < 0) return undefined
    slices.push(text.subarray(i, end))
    i = skipSpace(text, end)
    if (text[i] === 0x2c) i = skipSpace(text, i + 1)
  }
  return i < text.length ? { slices, end: i + 1 } : undefined
}

/** Where the value at `i` ends; -1 when the text ends first. */
function skipValue (text: Buffer, i: number): number {
  const c = text[i]
  if (c === QUOTE) return skipString(text, i)
  if (c === 0x7b || c === 0x5b) {
    let depth = 0
    while (i < text.length) {
      const d = text[i] as number
      if (d === QUOTE) {
        i = skipString(text, i)
        if (i < 0) return -1
        continue
      }
      if (d === 0x7b || d === 0x5b) depth++
      else if ((d === 0x7d || d === 0x5d) && --depth === 0) return i + 1
      i++
    }
    return -1
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < text.length) {
    const d = text[i] as number
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) return i
    i++
  }
  return i
}

/** Where the string that starts (with its quote) at `i` ends, after its closing quote; -1 if never. */
function skipString (text: Buffer, i: number): number {
  for (;;) {
    const q = text.indexOf(QUOTE, i + 1)
    if (q < 0) return -1
    let k = q - 1
    while (text[k] === BACKSLASH) k--
    if ((q - 1 - k) % 2 === 0) return q + 1 // an even run of backslashes escapes itself, not the quote
    i = q
  }
}

function skipSpace (text: Buffer, i: number): number {
  for (;;) {
    const c = text[i]
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i
    i++
  }
}
