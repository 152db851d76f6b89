// The flow idle timeout live capture uses: --flow-idle-timeout (seconds or a duration) and the
// config file's flow_idle_timeout, checked where they come from.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultConfig, resolveConfig } from '../src/config'

t.test('flow idle timeout: default 60 s, flag, file; bad values name their source', async (t) => {
  t.equal(defaultConfig({}).flowIdleTimeoutMs, 60_000)
  t.equal(resolveConfig({ 'flow-idle-timeout': '2' }, {}).flowIdleTimeoutMs, 2000, 'plain seconds')
  t.equal(resolveConfig({ 'flow-idle-timeout': '1.5' }, {}).flowIdleTimeoutMs, 1500)
  t.equal(resolveConfig({ 'flow-idle-timeout': '500ms' }, {}).flowIdleTimeoutMs, 500, 'a duration')
  const file = join(t.testdir(), 'c.yaml')
  writeFileSync(file, 'flow_idle_timeout: 2m\ncapture: eth1\n')
  t.match(resolveConfig({ config: file }, {}), { flowIdleTimeoutMs: 120_000, capture: 'eth1' })
  t.equal(resolveConfig({ config: file, 'flow-idle-timeout': '5' }, {}).flowIdleTimeoutMs, 5000, 'the flag wins')
  t.throws(() => resolveConfig({ 'flow-idle-timeout': 'soon' }, {}), { code: 'SW_ERR_USAGE', message: /^--flow-idle-timeout: "soon" is not a duration/ })
  t.throws(() => resolveConfig({ 'flow-idle-timeout': '0' }, {}), { code: 'SW_ERR_USAGE' })
  writeFileSync(file, 'flow_idle_timeout: -1\n')
  t.throws(() => resolveConfig({ config: file }, {}), { code: 'SW_ERR_CONFIG', message: /flow_idle_timeout: -1 is not a duration/ })
})
