import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, promises as fs, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, type Certificates } from './collector.js';

/**
 * A private rsyslogd (Debian's `rsyslog`; TLS needs `rsyslog-gnutls`) for the syslog sink tests: its own config,
 * imtcp / imudp (and a gtls imtcp input) on free 127.0.0.1 ports, run in the foreground with its own pid file,
 * writing every message it receives as one JSON object per line — the RFC 5424 fields as rsyslog parsed them,
 * plus the raw message.
 */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** What the test needs that is missing, or undefined. */
export function rsyslogMissing(): string | undefined {
  return existsSync(RSYSLOGD) ? undefined : `${RSYSLOGD} not found (apt-get install -y rsyslog)`;
}

/** Whether rsyslog's GnuTLS network stream driver (package rsyslog-gnutls) is installed. */
export function rsyslogHasTls(): boolean {
  const roots = ['/usr/lib', '/usr/lib64'];
  for (const root of roots) {
    let entries: string[] = [];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const d of ['', ...entries]) if (existsSync(join(root, d, 'rsyslog', 'lmnsd_gtls.so'))) return true;
  }
  return false;
}

/** One message as rsyslog stored it. */
export interface SyslogRecord {
  input: 'tcp' | 'udp' | 'tls';
  pri: string;
  facility: string;
  severity: string;
  version: string;
  timestamp: string;
  hostname: string;
  app_name: string;
  procid: string;
  msgid: string;
  structured_data: string;
  msg: string;
  raw: string;
}

const TEMPLATE = `template(name="vhjson" type="list" option.jsonf="on") {
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="raw" name="rawmsg" format="jsonf")
}`;

export class Rsyslog {
  private child: ChildProcess | undefined;
  readonly out: string;
  private readonly conf: string;
  private readonly pidFile: string;

  constructor(
    readonly dir: string,
    readonly tcpPort: number,
    readonly udpPort: number,
    readonly tlsPort: number | undefined,
    certs: Certificates | undefined,
  ) {
    this.out = join(dir, 'received.jsonl');
    this.conf = join(dir, 'rsyslog.conf');
    this.pidFile = join(dir, 'rsyslogd.pid');
    const tlsGlobals = certs ? ` defaultNetstreamDriverCAFile="${certs.ca}" defaultNetstreamDriverCertFile="${certs.cert}" defaultNetstreamDriverKeyFile="${certs.key}"` : '';
    const tlsInput = tlsPort && certs ? `input(type="imtcp" port="${tlsPort}" address="127.0.0.1" name="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")\n` : '';
    this.confText = `global(workDirectory="${dir}" maxMessageSize="64k"${tlsGlobals})
module(load="imtcp" maxSessions="200")
module(load="imudp")
input(type="imtcp" port="${tcpPort}" address="127.0.0.1" name="tcp")
input(type="imudp" port="${udpPort}" address="127.0.0.1" name="udp")
${tlsInput}${TEMPLATE}
action(type="omfile" file="${this.out}" template="vhjson")
`;
  }

  private readonly confText: string;

  async start(): Promise<void> {
    await fs.writeFile(this.conf, this.confText);
    const stderr = openSync(join(this.dir, 'rsyslogd.stderr'), 'a');
    const child = spawn(RSYSLOGD, ['-n', '-f', this.conf, '-i', this.pidFile], { stdio: ['ignore', stderr, stderr] });
    this.child = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`rsyslogd exited (${code}); see ${join(this.dir, 'rsyslogd.stderr')}`))));
    exited.catch(() => undefined);
    const ports = [this.tcpPort, ...(this.tlsPort ? [this.tlsPort] : [])];
    await Promise.race([Promise.all(ports.map((p) => waitListening(p, 15_000))), exited]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async received(): Promise<SyslogRecord[]> {
    let text: string;
    try {
      text = await fs.readFile(this.out, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SyslogRecord);
  }
}

function waitListening(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > end) reject(new Error(`rsyslogd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startRsyslog(dir: string, certs?: Certificates): Promise<Rsyslog> {
  await fs.mkdir(dir, { recursive: true });
  const r = new Rsyslog(dir, await freePort(), await freePort(), certs ? await freePort() : undefined, certs);
  await r.start();
  return r;
}
