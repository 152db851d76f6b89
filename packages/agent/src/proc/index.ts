/**
 * Process monitoring of the task's PID namespace: the scanner and the pieces it is built from,
 * for the agent's `run` and the `procs` command.
 */
export {
  ProcScanner, DEFAULT_INTERVAL_MS, DEFAULT_RECHECK_MS, DEFAULT_VERIFY_PER_SCAN, DEFAULT_VERIFY_CYCLE_MS, DEFAULT_MAX_ANCESTORS,
  type ProcScannerOptions, type ProcCounters, type SessionFacts,
} from './proc-scanner'
export { EVENT_SOURCE, type ProcEvent, type ProcessBody, type ProposedProcessFields, type EventEnvelope } from './process-events'
export type { ProcessRecord } from './process-record'
export { ExeBaseline, DEFAULT_LEARN_MS, type ExeBaselineOptions } from './exe-baseline'
export { ExeHasher, type ExeHasherOptions } from './exe-hasher'
export { containerNamesFromTaskMetadata } from './ecs-containers'
export { sshdBinaries, sshdPresence, isSshdProcess, type SshdPresence } from './sshd-presence'
export { SHELL_NAMES, isShell } from './shells'
