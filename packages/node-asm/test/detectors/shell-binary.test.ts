import t from 'tap'
import { isInterpreter, isShellBinary } from '../../src/detectors/shell-binary'

t.test('shells by basename', async (t) => {
  for (const f of ['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'busybox', '/bin/sh', '/usr/bin/bash', '/usr/local/bin/zsh', '/bin/busybox']) {
    t.ok(isShellBinary(f), f)
  }
  for (const f of ['node', 'shx', 'bashful', '/bin/sh.bak', '/usr/bin/git', '', '/bin/']) t.notOk(isShellBinary(f), f)
})

t.test('interpreters include versioned names', async (t) => {
  for (const f of ['python3', '/usr/bin/python3.11', 'perl5.36', 'node', 'ruby', 'bash']) t.ok(isInterpreter(f), f)
  for (const f of ['git', 'convert', 'pythonic', '.python']) t.notOk(isInterpreter(f), f)
})
