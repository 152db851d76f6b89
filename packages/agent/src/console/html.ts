/**
 * The one way console pages are written: the `html` tagged template. Every interpolated value is
 * text and is escaped (& < > " ' and `), unless it is itself the result of `html` (a fragment
 * built the same way). Arrays are joined, each item by the same rule. So a command line, a URL, a
 * user agent or a CloudTrail parameter is shown as text, whatever it contains; attribute values
 * must be quoted in the template (they are, everywhere). There is no other way to make SafeHtml.
 */
const SAFE = Symbol('sidewatch.safeHtml')

export interface SafeHtml { readonly [SAFE]: string }

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

export function escapeText (text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string)
}

export function html (strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] as string
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] as string)
  return { [SAFE]: out }
}

export function isSafeHtml (value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && SAFE in value
}

/** The markup of a fragment, to send. */
export function toString (fragment: SafeHtml): string {
  return fragment[SAFE]
}

function render (value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (isSafeHtml(value)) return value[SAFE]
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeText(String(value))
}
