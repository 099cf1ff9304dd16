import type { Config } from '../core/config.js';
import type { Metadata } from '../core/store.js';
import { isSecretType, type SecretType } from '../core/types.js';
import { targetConfigFor } from './targets.js';

/**
 * Whether vh-secrets can make a secret's value again. A rotation replaces the value with one from the type's
 * generator; that is only right when the secret's consumers accept a generated value — because a rotation
 * target applies it where it is checked (a database login, a command hook), or because the type is one the
 * tool itself defines (a database password, a JWT or webhook signing key, an encryption key). A value issued
 * elsewhere (a vendor's API key, an OAuth client secret, a TLS key for a certificate, anything `generic`) would
 * be destroyed by a generated one, so `rotate-all` leaves it alone and `rotate` asks first.
 */

/** Per-secret override in the store's metadata: `generate` (rotate it like a managed type) or `manual`. */
export const ROTATION_MODE = 'vh-rotation-mode';

/** Types whose values come from somewhere else unless a rotation target applies the generated one. */
export const ISSUED_ELSEWHERE: readonly SecretType[] = ['generic', 'oauth_client_secret', 'tls_private_key', 'api_key'];

export type Management = { managed: true; why: string } | { managed: false; why: string };

export function rotationManagement(config: Config, secretId: string, metadata: Metadata): Management {
  const mode = metadata[ROTATION_MODE];
  if (mode === 'generate') return { managed: true, why: `${ROTATION_MODE} = "generate"` };
  if (mode === 'manual') return { managed: false, why: `marked ${ROTATION_MODE} = "manual": its value is issued elsewhere` };
  const raw = metadata['vh-type'] ?? 'generic';
  if (!isSecretType(raw)) return { managed: false, why: `type "${raw}" has no generator` };
  let target: string | undefined;
  try {
    target = targetConfigFor(config, secretId, metadata)?.name;
  } catch {
    // A broken target setting: the rotation itself reports it (CONFIG); it is not a reason to stay silent here.
    return { managed: true, why: 'names a rotation target' };
  }
  if (target !== undefined) return { managed: true, why: `rotation target ${target}` };
  if (!ISSUED_ELSEWHERE.includes(raw)) return { managed: true, why: `a generated ${raw} is what its consumers accept` };
  return { managed: false, why: raw === 'api_key' ? 'an api_key without a rotation target is issued by its vendor' : `a ${raw} value is issued elsewhere` };
}

/** How to include a secret `rotate-all` leaves alone, for notes and hints. */
export function includeHint(): string {
  return `--include-unmanaged, a rotation target or ${ROTATION_MODE}=generate in its metadata includes it`;
}
