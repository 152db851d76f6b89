// Redaction table: names, headers, URLs, configured extra names.
import t from 'tap'
import { isSensitiveName, redactHeaders, redactUrl, redactValue, REDACTED, setRedactedNames } from '../../src/redact'

t.test('names', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['Authorization', true], ['proxy-authorization', true], ['Cookie', true], ['set-cookie', true], ['X-Api-Key', true], ['x-auth-token', true],
    ['password', true], ['passwd', true], ['body.user.Password', true], ['pass', true], ['access_token', true], ['client_secret', true],
    ['apikey', true], ['api-key', true], ['api_key', true], ['oauth', true], ['credentials', true], ['sessionid', true], ['private_key', true], ['privateKey', true],
    ['user-agent', false], ['email', false], ['query.q', false], ['x-forwarded-for', false], ['id', false], ['cookies.theme', false],
  ]
  for (const [name, sensitive] of cases) t.equal(isSensitiveName(name), sensitive, name)
  t.equal(redactValue('token', 'abc'), REDACTED)
  t.equal(redactValue('q', 'abc'), 'abc')
})

t.test('headers', async (t) => {
  t.same(redactHeaders({ authorization: 'Bearer x', cookie: 'a=1', 'user-agent': 'ua', 'x-api-key': 'k', accept: '*/*' }),
    { authorization: REDACTED, cookie: REDACTED, 'user-agent': 'ua', 'x-api-key': REDACTED, accept: '*/*' })
})

t.test('URLs', async (t) => {
  const cases: Array<[string, string]> = [
    ['/login?user=bob&password=hunter2', '/login?user=bob&password=[redacted]'],
    ['/a?token=1&token=2&q=x#frag', '/a?token=[redacted]&token=[redacted]&q=x#frag'],
    ['/a?API_KEY=1&x', '/a?API_KEY=[redacted]&x'],
    ['/a?api%5Fkey=1', '/a?api%5Fkey=[redacted]'],
    ['/a?flag', '/a?flag'],
    ['/plain', '/plain'],
    ['https://user:pw@example.test/x?session=s&ok=1', 'https://user:[redacted]@example.test/x?session=[redacted]&ok=1'],
    ['/a?%E0%A4%A=1', '/a?%E0%A4%A=1'],
  ]
  for (const [url, expected] of cases) t.equal(redactUrl(url), expected, url)
})

t.test('configured extra names', async (t) => {
  t.teardown(() => setRedactedNames([]))
  t.equal(isSensitiveName('ssn'), false)
  setRedactedNames(['SSN', 'card_number'])
  t.equal(isSensitiveName('ssn'), true)
  t.equal(isSensitiveName('body.customer.card_number'), true)
  t.equal(redactUrl('/pay?card_number=4111&amount=3'), '/pay?card_number=[redacted]&amount=3')
  setRedactedNames([])
  t.equal(isSensitiveName('ssn'), false, 'replaced, not appended')
})
