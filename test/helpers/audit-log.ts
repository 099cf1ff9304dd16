import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** One line of the local audit log, as the tests read it. */
export interface AuditLine {
  event: string;
  secret: string | null;
  actor: string;
  success: boolean;
  error_code: string | null;
  details: Record<string, unknown>;
}

/** Every event in `<VH_SECRETS_HOME>/audit.log` of a test home whose VH_SECRETS_HOME is `<home>/vh`. */
export async function auditEvents(home: string): Promise<AuditLine[]> {
  return (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditLine);
}
