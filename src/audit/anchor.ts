import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { VhError, fromSystemError } from '../base/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../base/fsutil.js';

/**
 * The anchored head of an audit log (`[audit] anchor`): the hash and byte size of the log's last event, written
 * after every commit. A chain alone cannot show that events were cut off its end; the head can. With
 * `hmac_key` set the head is signed, so whoever can rewrite the log cannot forge a shorter head without the key.
 * Keep it out of the log's directory (another volume, a WORM bucket sync) to make it an anchor in earnest.
 */
export interface AuditHead {
  v: 1;
  hash: string;
  size: number;
  ts: string;
  mac: string;
  signed: boolean;
}

function mac(head: Omit<AuditHead, 'mac'>, hmacKey: string | undefined): string {
  const material = `vh-secrets audit head v1\n${head.hash}\n${head.size}\n${head.ts}\n${head.signed ? 1 : 0}`;
  return hmacKey ? createHmac('sha256', hmacKey).update(material).digest('hex') : createHash('sha256').update(material).digest('hex');
}

export async function writeHead(path: string, hash: string, size: number, hmacKey: string | undefined): Promise<void> {
  const body = { v: 1 as const, hash, size, ts: new Date().toISOString(), signed: hmacKey !== undefined };
  const head: AuditHead = { ...body, mac: mac(body, hmacKey) };
  await ensurePrivateDir(dirname(path));
  await writeFileAtomic(path, `${JSON.stringify(head)}\n`);
}

/** The head, or null when there is none yet. A head that does not check out is an error (INVALID_FORMAT). */
export async function readHead(path: string, hmacKey: string | undefined): Promise<AuditHead | null> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromSystemError(err, 'cannot read audit head', path);
  }
  let head: AuditHead;
  try {
    head = JSON.parse(text) as AuditHead;
  } catch {
    throw new VhError('INVALID_FORMAT', `audit head ${path} is not valid JSON`, { details: { path } });
  }
  if (head.v !== 1 || typeof head.hash !== 'string' || typeof head.size !== 'number' || typeof head.mac !== 'string') {
    throw new VhError('INVALID_FORMAT', `audit head ${path} has an unknown format`, { details: { path } });
  }
  if (head.signed && hmacKey === undefined) {
    throw new VhError('CONFIG', `audit head ${path} is signed; the HMAC key is needed to check it`, {
      hint: 'set [audit] hmac_key or VH_SECRETS_AUDIT_HMAC_KEY',
    });
  }
  const { mac: given, ...body } = head;
  const want = Buffer.from(mac(body, head.signed ? hmacKey : undefined), 'hex');
  const got = Buffer.from(given, 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new VhError('INVALID_FORMAT', `audit head ${path} does not check out (edited, or written with another key)`, { details: { path } });
  }
  return head;
}
