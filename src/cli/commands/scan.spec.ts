import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'scan',
  description: 'find leaked credentials in files, git history, staged changes or stdin',
  arguments: [{ name: '[path]', description: 'directory or file to scan (default: the current directory)' }],
  options: [
    { flags: '--path <path>', description: 'directory or file to scan (same as the argument)' },
    { flags: '--git', description: 'scan git history (all commits, or the range given with --log-opts)' },
    { flags: '--log-opts <range>', description: 'git log range or options, e.g. main..HEAD or --since=2024-01-01' },
    { flags: '--staged', description: 'scan staged changes (pre-commit)' },
    { flags: '--stdin', description: 'scan standard input' },
    { flags: '--format <format>', description: 'report format', choices: ['text', 'json', 'sarif'], default: 'text' },
    { flags: '--output <file>', description: 'write the report to a file' },
    { flags: '--fail-on-secrets', description: 'exit 1 when secrets are found' },
    { flags: '--baseline <file>', description: 'ignore findings recorded in this baseline (a JSON report from an earlier scan)' },
    { flags: '--rules <file>', description: 'rules and allowlists from a .gitleaks.toml-style file (default: .gitleaks.toml in the scanned root)' },
    { flags: '--redact', description: 'mask secrets in the report (default)' },
    { flags: '--no-redact', description: 'show secrets in the report' },
    { flags: '--max-file-size <mb>', description: 'skip (and report) files larger than this many MB (default 10)' },
    { flags: '--jobs <n>', description: 'worker threads (default: one per CPU)' },
    { flags: '--shard <i/n>', description: 'only shard i of n (by a stable hash of the path)' },
    { flags: '--no-ignore', description: 'scan ignored files too: .gitignore, the repository exclude file and .vhsecretsignore are not read' },
    { flags: '--hidden', description: 'scan dot files and directories (default; .git is never scanned)' },
    { flags: '--no-hidden', description: 'leave out dot files and directories (.env included: they are counted as skipped)' },
    { flags: '--managed', description: 'name the managed secret each found value is, and find managed values verbatim (needs `vh-secrets index`)' },
    { flags: '--rotate-leaked', description: 'with --managed: rotate every secret whose current value was found (emergency), revoke leaked earlier versions' },
    { flags: '--dry-run', description: 'with --rotate-leaked: say what would be rotated or revoked, and change nothing' },
    { flags: '--force', description: 'with --rotate-leaked: also rotate a leaked secret whose value is issued elsewhere (replaced by a generated value)' },
  ],
  help: '\nExit: 0 no secrets (or secrets without --fail-on-secrets), 1 secrets found with --fail-on-secrets,\n2 the scan could not read what it was asked to (missing or unreadable path, not a git repository, bad range).\nFiles, as ripgrep picks them: .vhsecretsignore always applies; .gitignore (and .git/info/exclude) only inside\na git work tree (a .git directory or file in the directory or an ancestor), so an unpacked artifact or a copied\ntree is scanned whole; --no-ignore reads no ignore file. Dot files are scanned (--no-hidden leaves them out).\nThe summary always counts what was skipped and why (ignored, hidden, binary, too large, not regular files,\nsymlink loops, unreadable), in text, JSON (summary.skipped_by_reason) and SARIF (run properties).\nSuppress a line with a `vh-secrets:allow` (or `gitleaks:allow`) comment. Rules and allowlists also come from\nthe [scan] section of the config (rules, use_default, disabled_rules, allowlist_paths, allowlist_regexes,\nstopwords, max_file_size_mb, managed).\nWith --managed (or [scan] managed = true) a finding that is a managed value says which secret and version\n(JSON and SARIF: managed {ref, version, current}), and any managed value of 12 or more characters found\nverbatim is a finding of its own (rule managed-secret), rule or not. --rotate-leaked then acts, as one incident\nin the audit log: each secret whose current value leaked is rotated as an emergency (the leaked value revoked\nat once), each leaked earlier version still valid is revoked. It asks first on a terminal and needs --yes\notherwise; it exits 2 when any of it failed.',
  examples: [
    'vh-secrets scan --path . --format sarif --output security-scan-results.sarif --fail-on-secrets',
    'vh-secrets scan --staged --fail-on-secrets',
    'vh-secrets scan --git --log-opts origin/main..HEAD --format json',
    'vh-secrets scan --git --managed --rotate-leaked --dry-run',
  ],
});

export default spec;
export type ScanOptions = OptionsOf<typeof spec>;
