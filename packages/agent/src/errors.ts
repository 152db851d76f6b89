/**
 * Error codes of the agent itself: its command line, configuration, sinks and store. Codes that
 * travel on the wire (SW_ERR_AUTH, SW_ERR_FRAME_TOO_LARGE, ...) live in @sidewatch/proto.
 *
 * The CLI prints an AgentError as one line, `sidewatch-agent: CODE: message`, and exits with
 * `exitCode`: 2 when what was asked for is invalid, 1 when the environment refused it.
 */
export const AGENT_ERROR_CODES = {
  SW_ERR_USAGE: { exitCode: 2, what: 'the command line has an unknown option, a missing value or a bad value' },
  SW_ERR_CONFIG: { exitCode: 2, what: 'the configuration file or an environment variable is invalid' },
  SW_ERR_SINK: { exitCode: 2, what: 'a sink spec is invalid or its target cannot be opened' },
  SW_ERR_LISTEN: { exitCode: 2, what: 'a listen spec is invalid' },
  SW_ERR_LISTEN_FAILED: { exitCode: 1, what: 'a listener could not bind (address in use, another agent on the socket)' },
  SW_ERR_METRICS: { exitCode: 2, what: 'the metrics address is invalid' },
  SW_ERR_BAD_QUERY: { exitCode: 2, what: 'a search query is not valid FTS5 syntax' },
  SW_ERR_DB: { exitCode: 2, what: 'the event database is missing, corrupt or not a sidewatch database' },
  SW_ERR_PCAP: { exitCode: 2, what: 'a capture file cannot be read or is not a pcap or pcapng file' },
  SW_ERR_CAPTURE: { exitCode: 1, what: 'live capture could not start (no such interface, no CAP_NET_RAW, libpcap error)' },
  SW_ERR_CAPTURE_FAILED: { exitCode: 1, what: 'live capture failed while running (the interface went down or away); the agent polls /proc/net instead' },
  SW_ERR_NO_CAPTURE: { exitCode: 1, what: 'flows come from polling /proc/net/tcp* (connections, no byte counts): capture is off or could not start' },
  SW_ERR_RIGHTS: { exitCode: 1, what: 'a source works in part for want of a capability (CAP_NET_RAW, CAP_SYS_PTRACE); said once at start-up with what is lost' },
  SW_ERR_PROC: { exitCode: 1, what: 'the proc file system cannot be read (not mounted, wrong --proc-root, no permission)' },
  SW_ERR_BASELINE: { exitCode: 2, what: 'the executable baseline file is unreadable or not a sidewatch baseline' },
  SW_ERR_RULES: { exitCode: 2, what: 'a rule file has errors (each reported as file:line:col); a running agent keeps its last good rules' },
  SW_ERR_SPOOL: { exitCode: 1, what: 'the spool directory cannot be created, read or written (permissions, disk full)' },
  SW_ERR_TASK_METADATA: { exitCode: 1, what: 'the ECS task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4) did not answer or answered no JSON; events go without the task until it does' },
  SW_ERR_TASK_DEFINITION: { exitCode: 2, what: 'inject: the task definition is not JSON, has no containerDefinitions, is not awsvpc, or its containers would not fit the task cpu and memory' },
  SW_ERR_POD_SPEC: { exitCode: 2, what: 'inject: the pod (or pod template) is not YAML or JSON, has no containers, or is otherwise not a pod spec' },
  SW_ERR_CLOUDTRAIL: { exitCode: 1, what: 'a CloudTrail file or record cannot be read (reported with the file and record index; the rest is processed)' },
} as const satisfies Record<string, { exitCode: number, what: string }>

export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES

export class AgentError extends Error {
  override readonly name = 'AgentError'
  readonly code: AgentErrorCode

  constructor (code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  get exitCode (): number {
    return AGENT_ERROR_CODES[this.code].exitCode
  }
}

export function isAgentError (err: unknown): err is AgentError {
  return err instanceof AgentError
}
