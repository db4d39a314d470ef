/**
 * A throwaway certificate authority for the TLS tests, made with openssl in a temporary folder: a
 * server certificate for 127.0.0.1 and client certificates, valid, expired or issued by another CA.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** As Node and `openssl x509 -fingerprint -sha256` print it: upper-case hex pairs with colons. */
  readonly sha256: string;
}

export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  /** A certificate signed by this CA; `days: -1` makes one whose validity ended before it began (expired). */
  issue(name: string, options?: { days?: number; serverFor?: string }): Issued;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makeTestCa(commonName = 'medcom-gateway test CA', dir = mkdtempSync(join(tmpdir(), 'medcom-ca-'))): TestCa {
  const prefix = commonName.replace(/\W+/g, '-');
  const caKey = `${prefix}.key`;
  const caCert = `${prefix}.crt`;
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert,
    '-subj', `/CN=${commonName}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    dir,
    caFile: join(dir, caCert),
    ca: readFileSync(join(dir, caCert)),
    issue(name, options = {}) {
      const base = `${prefix}-${name}`;
      openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/O=Test/CN=${name}`]);
      const extensions = options.serverFor ? `subjectAltName=IP:${options.serverFor}\nextendedKeyUsage=serverAuth\n` : 'extendedKeyUsage=clientAuth\n';
      writeFileSync(join(dir, `${base}.ext`), extensions);
      openssl(dir, [
        'x509', '-req', '-in', `${base}.csr`, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
        '-days', String(options.days ?? 1), '-extfile', `${base}.ext`, '-out', `${base}.crt`,
      ]);
      const cert = readFileSync(join(dir, `${base}.crt`));
      return { certFile: join(dir, `${base}.crt`), keyFile: join(dir, `${base}.key`), cert, key: readFileSync(join(dir, `${base}.key`)), sha256: new X509Certificate(cert).fingerprint256 };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
