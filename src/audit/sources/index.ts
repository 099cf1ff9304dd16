import type { SourceKind, SourceReader } from './types.js';

/** Readers by kind, each loaded only when a source of that kind is read. */
export async function sourceReader(kind: SourceKind): Promise<SourceReader> {
  switch (kind) {
    case 'native':
      return (await import('./native.js')).nativeSource;
    case 'vault-audit':
      return (await import('./vault-audit.js')).vaultAuditSource;
    case 'cloudtrail':
      return (await import('./cloudtrail.js')).cloudTrailSource;
  }
}
