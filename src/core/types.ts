import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { VhError } from '../base/errors.js';

/** Secret types, each with a CSPRNG generator and a default policy. */
export const SECRET_TYPES = [
  'database_password',
  'api_key',
  'jwt_secret',
  'encryption_key',
  'webhook_secret',
  'oauth_client_secret',
  'tls_private_key',
  'generic',
] as const;

export type SecretType = (typeof SECRET_TYPES)[number];

export interface TypePolicy {
  /** Characters (or bytes, for byte-encoded types) the generator produces. */
  length: number;
  alphabet: string | undefined;
  rotationDays: number;
  /** Days before expiry (or before rotation falls due) that count as a warning. */
  warnDays: number;
  description: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** No quotes, backslash, @, :, / or % so the value is safe inside connection strings and shells. */
const DB_SAFE = `${ALNUM}-_.~+=^`;

export const TYPE_POLICIES: Record<SecretType, TypePolicy> = {
  database_password: { length: 32, alphabet: DB_SAFE, rotationDays: 30, warnDays: 7, description: 'password of a database login' },
  api_key: { length: 40, alphabet: ALNUM, rotationDays: 90, warnDays: 14, description: 'API key or token' },
  jwt_secret: { length: 64, alphabet: undefined, rotationDays: 90, warnDays: 14, description: 'HMAC key for signing JWTs (base64url of N bytes)' },
  encryption_key: { length: 32, alphabet: undefined, rotationDays: 365, warnDays: 30, description: 'symmetric key (base64 of N bytes)' },
  webhook_secret: { length: 32, alphabet: undefined, rotationDays: 90, warnDays: 14, description: 'webhook signing secret (whsec_ + base64 of N bytes)' },
  oauth_client_secret: { length: 48, alphabet: ALNUM, rotationDays: 180, warnDays: 14, description: 'OAuth client secret' },
  tls_private_key: { length: 256, alphabet: undefined, rotationDays: 90, warnDays: 14, description: 'private key in PKCS#8 PEM (ECDSA P-256)' },
  generic: { length: 32, alphabet: ALNUM, rotationDays: 90, warnDays: 14, description: 'any other secret' },
};

export function isSecretType(value: string): value is SecretType {
  return (SECRET_TYPES as readonly string[]).includes(value);
}

export function parseSecretType(value: string): SecretType {
  if (!isSecretType(value)) {
    throw new VhError('USAGE', `unknown secret type "${value}"`, { hint: `use one of: ${SECRET_TYPES.join(', ')}` });
  }
  return value;
}

export interface GeneratorOverrides {
  length?: number;
  alphabet?: string;
}

function fromAlphabet(alphabet: string, length: number): string {
  const chars = [...new Set(alphabet)];
  if (chars.length < 2) throw new VhError('INVALID_FORMAT', 'the policy alphabet needs at least two distinct characters');
  let out = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

/** A fresh value for `type` from the CSPRNG, honouring per-secret overrides of length and alphabet. */
export function generateValue(type: SecretType, overrides: GeneratorOverrides = {}): Buffer {
  const policy = TYPE_POLICIES[type];
  const length = overrides.length ?? policy.length;
  if (!Number.isInteger(length) || length < 16 || length > 4096) {
    throw new VhError('INVALID_FORMAT', `generated length ${length} is outside 16..4096`);
  }
  switch (type) {
    case 'jwt_secret':
      return Buffer.from(randomBytes(length).toString('base64url'));
    case 'encryption_key':
      return Buffer.from(randomBytes(length).toString('base64'));
    case 'webhook_secret':
      return Buffer.from(`whsec_${randomBytes(length).toString('base64')}`);
    case 'tls_private_key': {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
    default:
      return Buffer.from(fromAlphabet(overrides.alphabet ?? policy.alphabet ?? ALNUM, length));
  }
}
