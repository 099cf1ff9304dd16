import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'collector-server.js');

export type CollectorMode = 'ok' | 'blackhole' | 'fail';

export interface ReceivedEvent {
  id: string;
  actor: string;
  details: Record<string, unknown>;
  [key: string]: unknown;
}

/** A collector child process; `kill()` is SIGKILL, `start()` brings it back on the same port. */
export class Collector {
  private child: ChildProcess | undefined;
  port = 0;
  /** Resolves with the exit signal (or code) of the current process. */
  exited: Promise<NodeJS.Signals | number | null> = Promise.resolve(null);

  constructor(
    readonly out: string,
    readonly headersOut: string,
    private readonly tls?: { cert: string; key: string },
  ) {}

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/audit`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(mode: CollectorMode = 'ok', port = this.port, killAfterStoring?: number): Promise<void> {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH, COLLECTOR_OPTS: JSON.stringify({ port, out: this.out, headersOut: this.headersOut, mode, tls: this.tls, killAfterStoring }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    this.port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (b: Buffer) => {
        text += b.toString();
        const m = /LISTENING (\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`collector exited (${code}) before listening`)));
      child.on('error', reject);
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Every event line received, in arrival order (duplicates included). */
  async received(): Promise<ReceivedEvent[]> {
    let text: string;
    try {
      text = await fs.readFile(this.out, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ReceivedEvent);
  }

  async requests(): Promise<{ method: string; url: string; headers: Record<string, string> }[]> {
    let text: string;
    try {
      text = await fs.readFile(this.headersOut, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { method: string; url: string; headers: Record<string, string> });
  }
}

export interface CollectorOptions {
  mode?: CollectorMode;
  tls?: { cert: string; key: string };
  port?: number;
  name?: string;
  killAfterStoring?: number;
}

export async function startCollector(dir: string, options: CollectorOptions = {}): Promise<Collector> {
  const name = options.name ?? 'collector';
  const c = new Collector(join(dir, `${name}.ndjson`), join(dir, `${name}.requests`), options.tls);
  await c.start(options.mode ?? 'ok', options.port ?? 0, options.killAfterStoring);
  return c;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export { waitFor } from './cli.js';

export interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

/** A private CA and a server certificate for 127.0.0.1 / localhost it signed, made with openssl. */
export function makeCertificates(dir: string): Certificates {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=vh-secrets test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  spawnSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\nkeyUsage=digitalSignature,keyEncipherment\\n' > '${ext}'`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}
