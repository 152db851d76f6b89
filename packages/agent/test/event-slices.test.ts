// The collector's walk to each event's text in a request body: the slices it gives parse to
// exactly the elements JSON.parse reads, or it gives none.
import t from 'tap'
import { eventSlices } from '../src/collect/event-slices'

const slices = (text: string): string[] | undefined => eventSlices(Buffer.from(text))?.map((b) => b.toString())

t.test('cases', async (t) => {
  const cases: Array<[string, string, string[] | undefined]> = [
    ['plain', '{"events":[{"id":"a"},{"id":"b"}]}', ['{"id":"a"}', '{"id":"b"}']],
    ['empty', '{"events":[]}', []],
    ['white space everywhere', ' \n{ "events" :\t[ {"id" : "a"} ,\r\n {"id":"b"}\n] }\n', ['{"id" : "a"}', '{"id":"b"}']],
    ['quotes, brackets and escapes in strings', '{"events":[{"a":"x\\"}]{[,"},{"b":"\\\\"},{"c":"\\\\\\"]"}]}', ['{"a":"x\\"}]{[,"}', '{"b":"\\\\"}', '{"c":"\\\\\\"]"}']],
    ['nested values and literals', '{"events":[{"a":[1,[2,{"b":null}],true],"c":{"d":-1.5e3}},3,"s",null,false,[]]}', ['{"a":[1,[2,{"b":null}],true],"c":{"d":-1.5e3}}', '3', '"s"', 'null', 'false', '[]']],
    ['other names before and after', '{"v":{"events":[{"x":1}]},"events":[{"id":"a"}],"w":[1,"]"]}', ['{"id":"a"}']],
    ['a repeated name: the last, as JSON.parse', '{"events":[{"id":"a"}],"events":[{"id":"b"},{"id":"c"}]}', ['{"id":"b"}', '{"id":"c"}']],
    ['no events name', '{"other":[1]}', undefined],
    ['events not an array', '{"events":{"id":"a"}}', undefined],
    ['an escape in a top-level name', '{"events":[{"id":"a"}],"\\u0065vents":[{"id":"b"}]}', undefined],
    ['not an object', '[{"events":[]}]', undefined],
  ]
  for (const [what, text, want] of cases) {
    JSON.parse(text) // every case is valid JSON
    t.same(slices(text), want, what)
    if (want !== undefined) t.same(want.map((s) => JSON.parse(s)), (JSON.parse(text) as { events: unknown[] }).events, `${what}: the slices are the parsed events`)
  }
})

t.test('random bodies: the slices parse to the events JSON.parse reads', async (t) => {
  let seed = 7
  const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const pieces = ['"', '\\', '[', ']', '{', '}', ',', ':', 'a', ' ', '\n', 'é', '\u2028', '😀']
  const str = (): string => Array.from({ length: random(8) }, () => pieces[random(pieces.length)]).join('')
  const value = (depth: number): unknown => {
    const k = random(depth > 3 ? 4 : 6)
    if (k === 0) return str()
    if (k === 1) return random(1000) - 500
    if (k === 2) return [true, false, null][random(3)]
    if (k === 3) return random(1e6) / 7
    if (k === 4) return Array.from({ length: random(4) }, () => value(depth + 1))
    return Object.fromEntries(Array.from({ length: random(4) }, () => [str(), value(depth + 1)]))
  }
  const space = (): string => [' ', '', '\n', '\t', '  '][random(5)] as string
  let bad = 0
  for (let round = 0; round < 500; round++) {
    const events = Array.from({ length: random(6) }, () => Object.fromEntries(Array.from({ length: 1 + random(4) }, () => [str(), value(0)])))
    const text = `${space()}{${space()}"pre":${JSON.stringify(value(2))},${space()}"events"${space()}:${space()}[${events.map((e) => space() + JSON.stringify(e, null, random(2) === 0 ? 1 : undefined) + space()).join(',')}]${space()},"post":${JSON.stringify(str())}}`
    const got = slices(text)
    if (got === undefined || JSON.stringify(got.map((s) => JSON.parse(s))) !== JSON.stringify(events)) bad++
  }
  t.equal(bad, 0, '500 bodies')
})
