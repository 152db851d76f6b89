/** Enables instrumentation definitions for one test, and disables them when it ends. */
import type { Test } from 'tap'
import { Instrumentations, type InstrumentationDefinition } from '../../src/hook'

export function enableFor (t: Test, ...definitions: InstrumentationDefinition[]): void {
  const instrumentations = new Instrumentations(definitions)
  instrumentations.enable()
  t.teardown(() => { instrumentations.disable() })
}
