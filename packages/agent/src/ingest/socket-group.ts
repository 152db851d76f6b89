/**
 * The group that may use the agent's unix socket besides the agent's own user (`--socket-group`,
 * `socket_group`, SIDEWATCH_SOCKET_GROUP): a name from /etc/group or a numeric gid. With it the
 * socket is mode 0660 and the directory the agent makes for it 0750, both owned by that group, so
 * an app container running as another user but in that group can connect; without it, 0600 and
 * 0700, the agent's user alone.
 */
import { readFileSync } from 'node:fs'
import { AgentError } from '../errors'

/** The gid of `group` (a name in `groupFile`, or digits). */
export function resolveGroup (group: string, groupFile = '/etc/group'): number {
  if (/^\d{1,10}$/.test(group)) return Number(group)
  let text: string
  try {
    text = readFileSync(groupFile, 'utf8')
  } catch (err) {
    throw new AgentError('SW_ERR_CONFIG', `socket group ${JSON.stringify(group)}: cannot read ${groupFile} to look it up (${(err as Error).message}); give a numeric gid`)
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':')
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid)
  }
  throw new AgentError('SW_ERR_CONFIG', `socket group ${JSON.stringify(group)} is not in ${groupFile}; give a group name from it or a numeric gid`)
}
