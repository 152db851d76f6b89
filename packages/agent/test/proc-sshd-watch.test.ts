// sshd.presence from the scanner's view: a real SSH server started here is reported running and
// listening on its port, with its binary installed, once, and again only when that changes.
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { ProcScanner } from '../src/proc/proc-scanner'
import { SshdWatch } from '../src/proc/sshd-watch'
import { waitFor } from './helpers/agent'
import { SSHD, sshdMissing, startSshd } from './helpers/sshd'

t.test('an SSH server running and listening is reported, then only changes', { skip: sshdMissing() ?? false }, async (t) => {
  const scanner = new ProcScanner({ hash: false })
  const watch = new SshdWatch(scanner)
  await scanner.scan()
  watch.check() // whatever the machine has before
  const sshd = await startSshd(t)
  const event = await waitFor('sshd.presence with our port', async () => {
    await scanner.scan()
    return watch.check().find((e) => e.sshd.listening.some((l) => l.port === sshd.port))
  })
  t.equal(validateEvent(event), undefined, 'a valid event')
  // Other tests may run SSH servers of their own at the same time: look for ours among them.
  t.match(event, { kind: 'sshd.presence', source: 'agent.proc' })
  t.same(event.sshd.running.find((r) => r.pid === sshd.pid), { pid: sshd.pid, exe: SSHD }, 'running')
  t.same(event.sshd.listening.find((l) => l.port === sshd.port), { pid: sshd.pid, address: '127.0.0.1', port: sshd.port }, 'listening on its port')
  t.ok(event.sshd.binaries.includes(SSHD), 'the binary installed on this root')
  await scanner.scan()
  t.same(watch.check().filter((e) => e.sshd.running.some((r) => r.pid === sshd.pid)).filter((e) => JSON.stringify(e.sshd) === JSON.stringify(event.sshd)), [], 'the same again is not reported again')
})
