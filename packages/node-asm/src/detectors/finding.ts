/**
 * What a detector reports: which request input reached which sink and how it changed the sink's
 * meaning. Detectors are pure functions of (sink argument, request inputs); they never throw and
 * never block by themselves — the subscriber decides whether to report or abort.
 */
import type { RequestInput } from '../channels'

export type AttackClass = 'shell_injection' | 'command_injection' | 'path_traversal' | 'ssrf'

export interface Finding {
  class: AttackClass
  /** The input that reached the sink (the first one found, in `inputs` order). */
  input: RequestInput
  /** The sink argument as the call would use it: command line, executable, path or URL. */
  target: string
  /** One sentence for the event: what the input did to the target. */
  reason: string
}
