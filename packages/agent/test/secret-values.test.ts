// Secret-shaped values are redacted from event JSON on its way into the spool: each shape, plain,
// inside JSON strings and URL-encoded; what says what the value was is kept; the JSON stays
// valid; ordinary events pass unchanged (the same string, not a copy).
import t from 'tap'
import { redactSecretValues, REDACTED } from '../src/redact/secret-values'

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'

t.test('each shape, with what names it kept', async (t) => {
  const cases: Array<[string, string]> = [
    ['id AKIAIOSFODNN7EXAMPLE here', `id ${REDACTED} here`],
    ['ASIAY34FZKBOKMUTVV7A', REDACTED],
    ['\\u0000AKIAIOSFODNN7EXAMPLE; echo', `\\u0000${REDACTED}; echo`],
    [`AWS_SECRET_ACCESS_KEY=${SECRET} aws s3 ls`, `AWS_SECRET_ACCESS_KEY=${REDACTED} aws s3 ls`],
    [`aws_secret_access_key%3D${encodeURIComponent(SECRET)}&x=1`, `aws_secret_access_key%3D${REDACTED}&x=1`],
    [`\\"SecretAccessKey\\": \\"${SECRET}\\"`, `\\"SecretAccessKey\\": \\"${REDACTED}\\"`],
    ['Authorization: Bearer abc.def-ghi_jkl', `Authorization: Bearer ${REDACTED}`],
    ['-H%20Authorization%3A%20Bearer%20abcdefghijk', `-H%20Authorization%3A%20Bearer%20${REDACTED}`],
    [`next=${JWT}&a=1`, `next=${REDACTED}&a=1`],
    [`q=x%20${JWT}`, `q=x%20${REDACTED}`],
    [`\\u0000${JWT}`, `\\u0000${REDACTED}`],
    [`aeyJ${JWT.slice(3)}`, `aeyJ${JWT.slice(3)}`],
    [`ghp_${'a1'.repeat(18)}`, REDACTED],
    ['xoxb-1234567890-abcdef', REDACTED],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n-----END OPENSSH PRIVATE KEY-----', `-----BEGIN OPENSSH PRIVATE KEY-----${REDACTED}-----END OPENSSH PRIVATE KEY-----`],
    ['postgres://app:s3cret@db:5432/x', `postgres://app:${REDACTED}@db:5432/x`],
    ['url=http%3A%2F%2Fapp%3As3cret%40db%2Fx', `url=http%3A%2F%2Fapp%3A${REDACTED}%40db%2Fx`],
    ['mysql --password=hunter2 -u root', `mysql --password=${REDACTED} -u root`],
    ['["mysql","--password","hunter2"]', `["mysql","--password","${REDACTED}"]`],
    ['probe%20--password%3Dhunter2%20x', `probe%20--password%3D${REDACTED}%20x`],
    ['tool --api-key abc123 --verbose', `tool --api-key ${REDACTED} --verbose`],
  ]
  for (const [input, want] of cases) t.equal(redactSecretValues(input), want, input)
})

t.test('event JSON stays valid and ordinary values pass unchanged', async (t) => {
  const event = {
    id: 'e1', kind: 'process.exec', process: { args: ['curl', '-H', 'Authorization: Bearer tok123456789', `https://u:p4ss@h/x?k=${encodeURIComponent(SECRET)}`] },
    note: 'quote " and backslash \\ and AKIAIOSFODNN7EXAMPLE\n-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----',
  }
  const out = redactSecretValues(JSON.stringify(event))
  const parsed = JSON.parse(out) as typeof event
  t.equal(parsed.process.args[2], `Authorization: Bearer ${REDACTED}`)
  t.equal(parsed.process.args[3]?.startsWith(`https://u:${REDACTED}@h/x`), true)
  t.notOk(out.includes('AKIAIOSFODNN7EXAMPLE') || out.includes('abc\\n-----END'), 'nothing secret left')

  const ordinary = JSON.stringify({ id: '0b0e6b8e-5d2a', kind: 'http.request', http: { url: '/search?q=akia&page=2', user_agent: 'curl/8.5.0', path: '/srv/app/package.json' }, process: { cmdline: ['node', '--max-old-space-size=512', 'server.js', '--token-file', '/run/secrets/t'] }, email: 'ops@example.com' })
  const same = redactSecretValues(ordinary)
  t.equal(same, ordinary, 'nothing that only looks near a secret is touched')
})

t.test('texts built against the patterns take linear time (a frame is up to 1 MiB of them)', async (t) => {
  // Each would take minutes with a pattern that rescans from every candidate start (the JWT one
  // did: 1.9 s for 60 kB, quadratic): the test's timeout is the check.
  const hostile = ['eyJ'.repeat(200_000), `Bearer ${'+'.repeat(600_000)}`, `aws_secret_access_key=${'A'.repeat(600_000)}`, `-----BEGIN RSA PRIVATE KEY-----${'A'.repeat(600_000)}`,
    `://${'a'.repeat(300_000)}:${'b'.repeat(300_000)}`, '%3A%2F%2Fa%3A'.repeat(50_000), ' --password='.repeat(50_000), `ghp_${'a'.repeat(600_000)}`, 'xoxb-'.repeat(120_000), 'AKIA'.repeat(150_000)]
  for (const text of hostile) t.type(redactSecretValues(JSON.stringify({ v: text })), 'string', `${text.slice(0, 16)}… (${text.length} characters)`)
})
