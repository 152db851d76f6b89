// The rights the agent reads from /proc/self/status at start-up, and what each source loses
// without them.
import t from 'tap'
import { missingRights, rightsFromStatus } from '../src/privileges'

const status = (capEff: string): string => `Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\n`

t.test('CapEff bits: CAP_NET_RAW is 13, CAP_SYS_PTRACE is 19', async (t) => {
  t.same(rightsFromStatus(status('000001ffffffffff'), 0), { uid: 0, netRaw: true, sysPtrace: true }, 'root with every capability')
  t.same(rightsFromStatus(status('0000000000002000'), 1000), { uid: 1000, netRaw: true, sysPtrace: false }, 'NET_RAW only (the agent image)')
  t.same(rightsFromStatus(status('0000000000082000'), 1000), { uid: 1000, netRaw: true, sysPtrace: true }, 'NET_RAW and SYS_PTRACE (inject)')
  t.same(rightsFromStatus(status('0000000000000000'), 65534), { uid: 65534, netRaw: false, sysPtrace: false }, 'nobody')
  t.equal(rightsFromStatus('Name:\tnode\n', 0), undefined, 'no CapEff line')
  // This process's own status parses.
  t.ok(rightsFromStatus(require('node:fs').readFileSync('/proc/self/status', 'utf8') as string, 0))
})

t.test('what each source loses, only for the sources that are on', async (t) => {
  const none = { uid: 65534, netRaw: false, sysPtrace: false }
  t.same(missingRights(none, { capture: true, proc: true }).map((m) => [m.source, m.right]), [['capture', 'CAP_NET_RAW'], ['proc', 'CAP_SYS_PTRACE']])
  t.same(missingRights(none, { capture: false, proc: false }), [], 'sources that are off need nothing')
  t.same(missingRights({ uid: 0, netRaw: true, sysPtrace: true }, { capture: true, proc: true }), [])
  t.match(missingRights(none, { capture: true, proc: false })[0]?.effect, /polled from \/proc\/net/)
})
