import { base62ChecksumHolds, defineRule, help } from './define.js';

/** Source hosting and package registries. */
export const vcsRules = [
  defineRule({
    id: 'github-token',
    description: 'GitHub token (personal access, OAuth, app or refresh token)',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    regex: /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9])/,
    entropy: 3.0,
    validate: (secret) => base62ChecksumHolds(secret),
    help: help('A GitHub token acts as its user or app on the GitHub API. Revoke it under Settings → Developer settings (or the app installation).'),
  }),
  defineRule({
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token',
    keywords: ['github_pat_'],
    regex: /(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])/,
    entropy: 3.0,
    help: help('A fine-grained GitHub token acts as its user on the repositories it was granted. Revoke it under Settings → Developer settings.'),
  }),
  defineRule({
    id: 'gitlab-token',
    description: 'GitLab token (personal, project, deploy, runner or pipeline trigger)',
    keywords: ['glpat-', 'glptt-', 'gldt-', 'glrt-', 'glsoat-', 'glcbt-'],
    regex: /(?<![A-Za-z0-9_-])(gl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_-]{20,60})(?![A-Za-z0-9_-])/,
    entropy: 3.0,
    help: help('A GitLab token acts on the GitLab API or registers runners. Revoke it in GitLab (Access tokens, Deploy tokens or Runners).'),
  }),
  defineRule({
    id: 'npm-access-token',
    description: 'npm access token',
    keywords: ['npm_'],
    regex: /(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    entropy: 3.0,
    validate: (secret) => base62ChecksumHolds(secret),
    help: help('An npm access token can publish packages as its owner. Revoke it with `npm token revoke` or on npmjs.com.'),
  }),
  defineRule({
    id: 'npmrc-auth-token',
    description: 'Registry auth token in an .npmrc',
    keywords: ['_authtoken'],
    // `//registry/:_authToken=…` or a bare `_authToken=…` line, not any name that ends in "authtoken".
    regex: /(?:^|:)_authToken\s{0,3}=\s{0,3}["']?([^\s"'$]{16,200})/im,
    entropy: 3.0,
    help: help('An .npmrc `_authToken` authenticates to a package registry. Revoke it at the registry and use `${NPM_TOKEN}` in the file.'),
  }),
  defineRule({
    id: 'pypi-upload-token',
    description: 'PyPI upload token',
    keywords: ['pypi-ageichlwas5vcmc'],
    regex: /(?<![A-Za-z0-9_-])(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300})(?![A-Za-z0-9_-])/,
    entropy: 3.0,
    help: help('A PyPI API token can upload releases of its projects. Remove it under Account settings → API tokens on pypi.org.'),
  }),
  defineRule({
    id: 'docker-config-auth',
    description: 'Registry credentials in a Docker config.json (auths)',
    keywords: ['"auth"'],
    regex: /"auth"\s{0,5}:\s{0,5}"([A-Za-z0-9+/]{8,500}={0,2})"/,
    help: help('`auths.<registry>.auth` in a Docker config.json is base64 of `user:password` for that registry. Change the password or token at the registry.'),
    validate: (secret) => {
      const decoded = Buffer.from(secret, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon > 0 && colon < decoded.length - 1 && /^[\x20-\x7e]+$/.test(decoded);
    },
  }),
];
