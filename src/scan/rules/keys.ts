import { defineRule, help } from './define.js';

function jwtPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Private keys and signed tokens. */
export const keyRules = [
  defineRule({
    id: 'private-key',
    description: 'Private key (PEM, OpenSSH, PGP)',
    keywords: ['private key'],
    // The secret is the start of the key body: enough to fingerprint it, and a template (`...`) has none.
    regex: /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\\[rn]|\s){1,8}(?:(?:Proc-Type|DEK-Info|Version|Comment):[^\n]{0,200}(?:\\[rn]|\s){1,8}){0,3}([A-Za-z0-9+/]{40,80})/,
    entropy: 3.5,
    help: help('A private key proves the identity of a server, user or signer. Replace the key pair and revoke any certificate or authorised key that uses it.'),
  }),
  defineRule({
    id: 'putty-private-key',
    description: 'PuTTY private key (.ppk)',
    keywords: ['private-lines:'],
    regex: /Private-Lines:\s{0,3}\d{1,4}\r?\n([A-Za-z0-9+/]{40,80})/,
    entropy: 3.5,
    help: help('A PuTTY private key file holds an SSH private key. Replace the key pair and remove the public key from authorized_keys.'),
  }),
  defineRule({
    id: 'jwt',
    description: 'JSON Web Token',
    keywords: ['eyj'],
    regex: /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{16,1000})(?![A-Za-z0-9_-])/,
    entropy: 3.0,
    help: help('A signed JWT is a bearer credential until it expires. Revoke the session or rotate the signing key if it has not expired.'),
    validate: (secret) => {
      const [head, body] = secret.split('.');
      const header = jwtPart(head!);
      return header !== undefined && typeof header.alg === 'string' && header.alg.toLowerCase() !== 'none' && jwtPart(body!) !== undefined;
    },
  }),
];
