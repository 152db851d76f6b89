import t from 'tap'
import { CharKind, lexShell } from '../../src/detectors/shell-lexer'

/** One letter per character: . data, o operator, $ expansion, q quote, \ escape, _ separator, # comment. */
function kinds (line: string): string {
  const letters = ['.', 'o', '$', 'q', '\\', '_', '#']
  return Array.from(lexShell(line).kinds, (k) => letters[k]).join('')
}

function words (line: string): string[] {
  return lexShell(line).words.map((w) => (w.command ? '!' : '') + line.slice(w.start, w.end))
}

const KINDS: Array<[string, string]> = [
  ['ls -la', '.._...'],
  ['a;b', '.o.'],
  ['a && b', '._oo_.'],
  ['a || b | c', '._oo_._o_.'],
  ['a & b', '._o_.'],
  ['a\nb', '.o.'],
  ['a > f 2>&1', '._o_._.oo.'],
  ['a < f', '._o_.'],
  ['echo $(id)', '...._$o..o'],
  ['echo `id`', '...._$..$'],
  ['echo ${IFS}x', '...._$......'],
  ['echo $IFS', '...._$...'],
  ['echo $5 $ $-', '...._.._._..'],
  ["echo 'a;$(b)'", '...._q......q'],
  ['echo "a;$(b)"', '...._q..$...q'],
  ['echo "a\\"b"', '...._q.\\..q'],
  ['echo "C:\\temp"', '...._q.......q'],
  ['echo a\\;b', '...._.\\..'],
  ['echo a#b #c', '...._..._#.'],
  ["echo 'open", "...._q...."],
]

t.test('character kinds', async (t) => {
  for (const [line, expected] of KINDS) t.equal(kinds(line), expected, JSON.stringify(line))
})

t.test('words and command position', async (t) => {
  t.same(words('ls -la /tmp'), ['!ls', '-la', '/tmp'])
  t.same(words('a;b c|d&&e'), ['!a', '!b', 'c', '!d', '!e'])
  t.same(words("echo 'a b' \"c d\" e\\ f"), ['!echo', "'a b'", '"c d"', 'e\\ f'])
  t.same(words('cat < in > out'), ['!cat', 'in', 'out'], 'redirection targets are not commands')
  t.same(words('(id)'), ['!id'])
  t.same(words('echo x # a comment'), ['!echo', 'x'], 'nothing in a comment is a word')
  t.same(words(''), [])
})

t.test('quote partners', async (t) => {
  const syntax = lexShell(`echo 'a' "b" 'c`)
  t.same([...syntax.partners.entries()], [[5, 7], [7, 5], [9, 11], [11, 9], [13, -1]])
  t.equal(syntax.kinds[13], CharKind.quote)
})
