/**
 * The text the full-text index sees for one event: every string and number in it, depth first,
 * so a search for a command, a path, a host, a service or a port finds the event.
 */
export function flattenText (value: unknown): string {
  const parts: string[] = []
  collect(value, parts)
  return parts.join(' ')
}

function collect (value: unknown, parts: string[]): void {
  if (typeof value === 'string') {
    parts.push(value)
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    parts.push(String(value))
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, parts)
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collect(item, parts)
  }
}
