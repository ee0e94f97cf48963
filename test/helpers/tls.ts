import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** notAfter as written in the certificate (unix seconds). */
  notAfter: number;
  /** Removes the temp dir. */
  cleanup(): void;
}

/** Whether the `openssl` CLI can be run. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// `openssl ca` is the one 3.0 command that takes exact start and end dates (req -x509 only takes -days).
const CA_CONFIG = `[ca]
default_ca = cw
[cw]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
`;

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`;
}

/**
 * A self-signed P-256 certificate (usable as its own CA file) for the given names, valid from
 * `notBefore` (default an hour ago) to `notAfter`, both to the second, in a fresh temp dir.
 * Names that are IP addresses become IP SANs.
 */
export function makeCert(opts: { notAfter: Date; notBefore?: Date; names?: string[] }): TestCert {
  const names = opts.names ?? ['localhost', '127.0.0.1'];
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
    run([
      'req',
      '-new',
      '-key',
      'key.pem',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-out',
      'req.csr',
    ]);
    run([
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-selfsign',
      '-keyfile',
      'key.pem',
      '-in',
      'req.csr',
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(opts.notAfter),
      '-notext',
      '-out',
      'cert.pem',
    ]);
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    // Read the date back from the certificate rather than trusting what was asked for.
    const end = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-enddate'], { encoding: 'utf8' })
      .trim()
      .replace(/^notAfter=/, '');
    return {
      dir,
      certFile,
      keyFile,
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      notAfter: Date.parse(end) / 1000,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
