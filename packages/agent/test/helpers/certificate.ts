// A throwaway self-signed certificate for 127.0.0.1, made with the openssl command (installed by
// scripts/setup), for the https sink and the collector.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/** `DIR/NAME.pem` and `DIR/NAME-key.pem`, valid one day. */
export function certificate (dir: string, name: string): { cert: string, key: string } {
  const cert = join(dir, `${name}.pem`)
  const key = join(dir, `${name}-key.pem`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { cert, key }
}
