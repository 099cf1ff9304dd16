import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { baseEnv, run, type RunResult } from '../helpers/cli.js';
import type { LeakLedger } from '../leak/canary.js';
import { azureEnv, azureUrl, gcpDoubleEndpoint } from '../helpers/stores.js';

const exec = promisify(execFile);

export const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
export const vaultToken = process.env.VH_TEST_VAULT_TOKEN ?? 'root';
export const awsEndpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
export const gcpEndpoint = process.env.VH_TEST_GCP_ENDPOINT ?? '127.0.0.1:59090';
export { azureUrl };
/** The standard age tool (Debian package `age`, installed by .ci/run). */
export const AGE = process.env.VH_TEST_AGE ?? 'age';
export const AGE_KEYGEN = process.env.VH_TEST_AGE_KEYGEN ?? 'age-keygen';

/** A fresh age identity written by the real age-keygen (mode 0600); returns its path and public key. */
export async function ageKey(dir: string, name: string): Promise<{ keyFile: string; recipient: string }> {
  const keyFile = join(dir, `${name}.key`);
  await exec(AGE_KEYGEN, ['-o', keyFile]);
  await fs.chmod(keyFile, 0o600);
  const { stdout } = await exec(AGE_KEYGEN, ['-y', keyFile]);
  return { keyFile, recipient: stdout.trim() };
}

/** `age -d -i KEYFILE FILE` with the real age CLI: the plaintext, kept in memory only. */
export async function ageDecrypt(keyFile: string, archive: string): Promise<Buffer> {
  const { stdout } = await exec(AGE, ['-d', '-i', keyFile, archive], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * A home with one config naming two embedded file stores (`local`, `dst`) and, when asked, the real peers
 * (`vault`, `aws`, `azure` — the Key Vault double —, `gcp` — the emulator —, `gcpfull` — the Secret Manager double).
 */
export async function multiStoreEnv(home: string, peers: { vault?: boolean; aws?: boolean; azure?: boolean; gcp?: boolean; gcpFull?: boolean } = {}): Promise<NodeJS.ProcessEnv> {
  await fs.mkdir(home, { recursive: true });
  let toml = `default_store = "local"\n[stores.local]\nprovider = "file"\npath = "${join(home, 'local.vhs')}"\nkey_file = "${join(home, 'local.key')}"\n`;
  toml += `[stores.dst]\nprovider = "file"\npath = "${join(home, 'dst.vhs')}"\nkey_file = "${join(home, 'dst.key')}"\n`;
  toml += `[stores.empty]\nprovider = "file"\npath = "${join(home, 'empty.vhs')}"\nkey_file = "${join(home, 'empty.key')}"\n`;
  const extra: NodeJS.ProcessEnv = {};
  if (peers.vault) {
    toml += `[stores.vault]\nprovider = "vault"\naddress = "${vaultAddr}"\n`;
    extra.VAULT_TOKEN = vaultToken;
  }
  if (peers.aws) {
    toml += `[stores.aws]\nprovider = "aws"\nregion = "us-east-1"\nendpoint = "${awsEndpoint}"\n`;
    extra.AWS_ACCESS_KEY_ID = 'test';
    extra.AWS_SECRET_ACCESS_KEY = 'test';
  }
  if (peers.azure) {
    toml += `[stores.azure]\nprovider = "azure"\nvault_url = "${azureUrl}"\ndisable_challenge_resource_verification = true\n`;
    Object.assign(extra, azureEnv);
  }
  if (peers.gcpFull) toml += `[stores.gcpfull]\nprovider = "gcp"\nproject = "test-project"\nendpoint = "${gcpDoubleEndpoint}"\n`;
  if (peers.gcp) toml += `[stores.gcp]\nprovider = "gcp"\nproject = "test-project"\nendpoint = "${gcpEndpoint}"\n`;
  const path = join(home, 'vh-secrets.toml');
  await fs.writeFile(path, toml);
  return baseEnv(home, { ...extra, VH_SECRETS_CONFIG: path });
}

/** Runs the CLI and records its output in the ledger (stdout too unless it is a requested value). */
export function cli(ledger: LeakLedger, env: NodeJS.ProcessEnv) {
  return async (label: string, args: string[], options: { input?: string | Buffer; valueOnStdout?: boolean } = {}): Promise<RunResult> =>
    ledger.record(label, await run(args, { env, ...(options.input !== undefined ? { input: options.input } : {}) }), options.valueOnStdout === true);
}

export interface ArchiveDoc {
  format: string;
  format_version: number;
  created_at: string;
  all_versions: boolean;
  stores: { alias: string; provider: string }[];
  secrets: {
    store: string;
    provider: string;
    name: string;
    metadata: Record<string, string>;
    current_version: string | null;
    revoked: boolean;
    versions: { version: string; state: string; stages: string[]; created_at: string | null; value_base64: string | null }[];
  }[];
}
