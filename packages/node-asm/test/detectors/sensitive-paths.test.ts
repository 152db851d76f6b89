import t from 'tap'
import { isSensitivePath } from '../../src/detectors/sensitive-paths'

const SENSITIVE: Array<[string, string]> = [
  ['/etc/shadow', 'password hashes'],
  ['/etc/gshadow', 'password hashes'],
  ['//etc/./shadow', 'password hashes'],
  ['/etc/sudoers', 'sudo configuration'],
  ['/proc/self/environ', 'process environment'],
  ['/proc/1/environ', 'process environment'],
  ['/proc/4242/task/4243/environ', 'process environment'],
  ['/proc/self/task/7/environ', 'process environment'],
  ['/root/.ssh/id_rsa', 'SSH keys'],
  ['/home/app/.ssh/authorized_keys', 'SSH keys'],
  ['/etc/ssh/ssh_host_ed25519_key', 'SSH host keys'],
  ['/root/.aws/credentials', 'AWS credentials'],
  ['/home/node/.aws/config', 'AWS credentials'],
  ['/var/run/secrets/kubernetes.io/serviceaccount/token', 'mounted secrets'],
  ['/run/secrets/db_password', 'mounted secrets'],
  ['/srv/app/../../etc/shadow', 'password hashes'],
]

const ORDINARY = ['/etc/passwd', '/etc/hosts', '/proc/self/status', '/proc/abc/environ', '/proc/1/2/environ', '/srv/app/.sshrc',
  '/srv/app/aws/credentials', '/srv/app/.aws/credentials.bak', '/srv/app/secrets/run', '/var/run/secretsx', '/etc/shadowsocks.json', '']

t.test('sensitive files get a label', async (t) => {
  for (const [path, label] of SENSITIVE) t.equal(isSensitivePath(path), label, path)
})

t.test('ordinary files do not', async (t) => {
  for (const path of ORDINARY) t.equal(isSensitivePath(path), undefined, path)
})
