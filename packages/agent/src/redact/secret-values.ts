/**
 * Secrets recognised by their shape, wherever they are: the last line of defence before an event
 * is stored or shipped. The SDKs redact by name (an `Authorization` header, a `password`
 * parameter); what they cannot see by name arrives here — an AWS access key in a search box, a
 * bearer token on a `curl` command line read from /proc, a private key pasted into a form, a
 * password in a URL or a `--password=` flag. Applied to each event's JSON text on its way into
 * the spool (spool-record.ts), so every source and every sink is covered by one pass.
 *
 * Each pattern keeps what says what the value was (`Bearer `, `--password=`, `://user:`) and
 * replaces the secret with `[redacted]`. No pattern starts at a word boundary: in JSON text a
 * value may follow an escape such as `\u0000` (alert dedup keys), which ends in a word character. No pattern can match a `"` or a `\`, so the JSON stays
 * valid and an escape is never cut in two. Shapes, from the issuers' documentation:
 * AWS access key ids (AKIA long-term, ASIA temporary; 20 characters), secret access keys (40
 * base64 characters) after a name that says so, JWTs (three base64url parts, the first two
 * JSON objects: `eyJ`), GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36), Slack tokens
 * (`xoxb-`, ...), PEM private key blocks.
 */
export const REDACTED = '[redacted]'

/** Between a name and its value: JSON (`":"`), `=`, `: `, an argument boundary, or URL-encoded. */
const SEP = String.raw`(?:\\?"?\s*[:=]\s*\\?"?|","|\s+|%3[Dd]|%3[Aa](?:%20|\+)*|%20|\+)`
/** One character of a base64 value, plain or URL-encoded. */
const B64 = String.raw`(?:[A-Za-z0-9/+=]|%2[FfBb]|%3[Dd])`

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g, REDACTED],
  [new RegExp(String.raw`((?:aws_?secret_?access_?key|secret_?access_?key|SecretAccessKey)${SEP})${B64}{40}(?!${B64})`, 'gi'), `$1${REDACTED}`],
  [/([Bb]earer(?:\s|%20|\+)+)[A-Za-z0-9._~+/-]{8,}=*/g, `$1${REDACTED}`],
  // Only where a token can start (not inside a run of base64url; right after a JSON \u00XX or a
  // URL %XX escape is a start): "eyJeyJeyJ…" would otherwise be scanned to its end from every
  // eyJ, quadratic.
  [/(?:(?<![A-Za-z0-9_-])|(?<=\\u00[0-9a-fA-F]{2}|%[0-9a-fA-F]{2}))eyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/gh[pousr]_[A-Za-z0-9]{36,}/g, REDACTED],
  [/xox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[^-"]*-----END [A-Z ]*PRIVATE KEY-----/g, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`],
  [/(:\/\/[^/\s:@"\\]+:)[^/\s@"\\]+@/g, `$1${REDACTED}@`],
  [/(%3[Aa]%2[Ff]%2[Ff][A-Za-z0-9._~-]+%3[Aa])[^\s"\\&@]+?(%40)/g, `$1${REDACTED}$2`],
  [new RegExp(String.raw`((?:^|[\s"+]|%20)--?(?:password|passwd|pass|secret|token|api[-_]?key|access[-_]?key|client[-_]?secret)(?:=|%3[Dd]|","|\s+|%20|\+))(?:(?!%20)[^\s"\\&])+`, 'gi'), `$1${REDACTED}`],
]

/**
 * Cheap first look, case-sensitive literals only (a case-insensitive alternation costs several
 * times more): none of the patterns can match a text without one of these.
 */
const HINT = /AKIA|ASIA|ABIA|ACCA|ecret|ECRET|earer|EARER|eyJ|gh[pousr]_|xox|PRIVATE KEY|@|%40|-(?:-|[Pp]ass|PASS|[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Aa]pi|API|[Aa]ccess|ACCESS|[Cc]lient|CLIENT)/

/** `text` with every secret-shaped value replaced; the same string when there is none. */
export function redactSecretValues (text: string): string {
  if (!HINT.test(text)) return text
  let out = text
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}
