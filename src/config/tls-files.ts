/**
 * The PEM files of MEDCOM_TLS_CERT, MEDCOM_TLS_KEY and MEDCOM_TLS_CLIENT_CA, read and tried at start:
 * a file that cannot be read, or a key that does not fit the certificate, stops the start with the
 * variable's name rather than failing the first client's handshake.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsFiles } from './settings.js';
import { ConfigError } from './endpoints.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The CA client certificates must chain to; undefined: no client certificates are asked for. */
  readonly clientCa: Buffer | undefined;
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${variable}=${path} cannot be read: ${(error as Error).message}`);
  }
}

export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem('MEDCOM_TLS_CERT', files.cert);
  const key = readPem('MEDCOM_TLS_KEY', files.key);
  const clientCa = files.clientCa === undefined ? undefined : readPem('MEDCOM_TLS_CLIENT_CA', files.clientCa);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`MEDCOM_TLS_CERT=${files.cert} and MEDCOM_TLS_KEY=${files.key} cannot serve HTTPS: ${(error as Error).message} — give the PEM certificate and the private key that belongs to it`);
  }
  if (clientCa !== undefined) {
    // The TLS layer takes any bytes as a CA list (and then trusts nothing): read the first certificate.
    let first: X509Certificate;
    try {
      first = new X509Certificate(clientCa);
    } catch (error) {
      throw new ConfigError(`MEDCOM_TLS_CLIENT_CA=${files.clientCa} is not a PEM CA certificate: ${(error as Error).message}`);
    }
    if (!first.ca) throw new ConfigError(`MEDCOM_TLS_CLIENT_CA=${files.clientCa} is not a PEM CA certificate: ${first.subject.replaceAll('\n', ', ')} may not issue certificates (no basicConstraints CA:TRUE)`);
  }
  return { cert, key, clientCa };
}
