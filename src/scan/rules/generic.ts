import { shannonEntropy } from '../entropy.js';
import { isPlaceholder } from '../placeholders.js';
import { defineRule, help } from './define.js';

/** Key names ending like this describe a secret rather than hold one (`password_length`, `token_url`). */
const DESCRIPTIVE_SUFFIX = /(?:name|type|len|length|field|path|file|url|uri|endpoint|id|ids|prefix|hint|label|policy|regex|pattern|header|param|params|expiry|expires|expiration|ttl|count|max|min|size|format|version|mode|source|provider|ref|env|var|key_id|keyid|hash|salt|digest|store|storage|manager|class|kind|fn|func|cb|callback|changed|required|reset|strength|valid|validator|confirm|confirmation|placeholder|input|index)$/i;
/** Values that are code, not data: `this.token`, `config.get(...)`, `opts.password`. */
const CODE_LIKE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$|^[A-Za-z_$][\w$]*\(|^(?:true|false|null|nil|none|undefined)$/i;

/**
 * `password = ...`, `secret: ...`, `api_key => ...` with a value that looks random. Gated by entropy,
 * placeholder words and the shape of the key, because the words themselves are everywhere in code.
 */
export const genericRules = [
  defineRule({
    id: 'generic-secret-assignment',
    description: 'Secret assigned to a password, secret, token or key variable',
    keywords: ['password', 'passwd', 'pwd', 'secret', 'token', 'api_key', 'apikey', 'api-key', 'access_key', 'accesskey', 'auth_key', 'credential'],
    regex: /(passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|credentials?)([A-Za-z0-9_.-]{0,20}?)["']?\s{0,3}(?::=|=>|=|:)\s{0,3}(["'`]?)([^\s"'`;,(){}[\]<>|\\]{8,128})/i,
    secretGroup: 4,
    help: help('A value assigned to a password/secret/token variable looks like a real credential.'),
    validate: (secret, match) => {
      const keyword = (match[1] ?? '').toLowerCase();
      const suffix = match[2] ?? '';
      const quoted = (match[3] ?? '') !== '';
      // `tokenizer`, `secretary`, `passwordless`: the keyword is only part of another word.
      if (DESCRIPTIVE_SUFFIX.test(suffix) || (/^[a-z]/.test(suffix) && suffix !== 's')) return false;
      if (CODE_LIKE.test(secret) || isPlaceholder(secret)) return false;
      if (!quoted && !/\d/.test(secret)) return false;
      // Words and identifiers (`DefaultAzureCredential`), paths, URLs and names that repeat the key word.
      if (/^[A-Za-z_$]+$/.test(secret) || /^[\w.@~-]*(?:\/[\w.@~-]+)+\/?$/.test(secret) || secret.includes('://')) return false;
      if (secret.toLowerCase().includes(keyword.replace(/[_-]/g, '').slice(0, 5))) return false;
      // A reference to where a secret lives (`prod-vault:app/db#password`, `secret/data/app:token`), not a secret.
      if (/[:/#]/.test(secret) && /(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|key)s?$/i.test(secret)) return false;
      const threshold = keyword.startsWith('pass') || keyword === 'pwd' ? 3.0 : 3.5;
      return shannonEntropy(secret) >= threshold;
    },
  }),
];
