import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every default location vh-secrets writes to; `VH_SECRETS_HOME` relocates all of them. */
export interface Paths {
  home: string;
  fileStore: string;
  fileStoreKey: string;
  journalDir: string;
  auditLog: string;
  lockDir: string;
  cacheDir: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VH_SECRETS_HOME) return resolve(env.VH_SECRETS_HOME);
  const dataHome = env.XDG_DATA_HOME ? resolve(env.XDG_DATA_HOME) : join(homedir(), '.local', 'share');
  return join(dataHome, 'vh-secrets');
}

export function defaultPaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = resolveHome(env);
  return {
    home,
    fileStore: join(home, 'store.vhs'),
    fileStoreKey: join(home, 'store.key'),
    journalDir: join(home, 'journal'),
    auditLog: join(home, 'audit.log'),
    lockDir: join(home, 'locks'),
    cacheDir: join(home, 'cache'),
  };
}

export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(configHome, 'vh-secrets', 'config.toml');
}
