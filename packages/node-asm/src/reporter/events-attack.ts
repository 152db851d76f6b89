/** The `attack` wire event: which request input reached which sink, and what the SDK did. */
import type { AttackEvent } from '@sidewatch/proto'
import type { RequestContext } from '../channels'
import type { Finding } from '../detectors'
import { redactUrl, redactValue } from '../redact'
import { cut, envelope, type Identity } from './envelope'

export function attackEvent (identity: Identity, finding: Finding, sink: string, request: RequestContext, frame: string | undefined, blocked: boolean): AttackEvent {
  const attack: AttackEvent['attack'] = {
    class: finding.class,
    sink: cut(sink, 128),
    input: { name: cut(finding.input.name, 256), value: cut(redactValue(finding.input.name, finding.input.value), 1024), source: finding.input.source },
    target: cut(finding.target, 4096),
    request: { method: cut(request.method, 32), url: cut(redactUrl(request.url), 8192) },
    blocked,
  }
  if (request.route !== undefined) attack.request!.route = cut(request.route, 1024)
  if (frame !== undefined) attack.frame = cut(frame, 2048)
  return { ...envelope(identity, request.id), kind: 'attack', attack }
}
