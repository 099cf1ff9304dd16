// Generates man/vh-secrets.1 from the same commander definitions that produce --help, so they never drift.
// `node scripts/gen-man.mjs` writes the file; `--check` exits 1 when the committed page is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildProgram, EXIT_CODES, ENVIRONMENT } = await import(join(root, 'dist/src/cli/program.js'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const esc = (s) =>
  s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/\u2014/g, '\\(em')
    .replace(/[^\x00-\x7f]/g, '?')
    .replace(/^\./gm, '\\&.')
    .replace(/^'/gm, "\\&'");
const program = buildProgram(pkg.version, { invoke: async () => undefined });
const lines = [];
const out = (s) => lines.push(s);

out(`.TH VH\\-SECRETS 1 "" "vh\\-secrets ${esc(pkg.version)}" "User Commands"`);
out('.SH NAME');
out(`vh\\-secrets \\- ${esc(program.description().replace(/\.$/, ''))}`);
out('.SH SYNOPSIS');
out('.B vh\\-secrets');
out('[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]');
out('.SH DESCRIPTION');
out('Secrets are addressed as');
out('.IR STORE : NAME [ #KEY ][ @VERSION ],');
out('for example');
out('.BR prod\\-vault:app/db#password@3 .');
out('Without');
out('.I STORE');
out('the default store is used (the embedded encrypted file store');
out('.B local');
out('unless the configuration names another). A secret value is never taken from the command line: it comes from standard input, a file, a prompt or a generator.');
out('.SH GLOBAL OPTIONS');
for (const o of program.options) {
  out('.TP');
  out(`.B ${esc(o.flags)}`);
  out(esc(o.description));
}
out('.TP');
out('.B \\-h, \\-\\-help');
out('show help (also after any command: vh\\-secrets get \\-\\-help)');
out('.SH COMMANDS');
for (const cmd of program.commands.filter((c) => !c.name().startsWith('__'))) {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
  out(`.SS ${esc([cmd.name(), ...cmd.aliases().map((a) => `(${a})`)].join(' '))}${args ? ` ${esc(args)}` : ''}`);
  out(esc(cmd.description()));
  for (const o of cmd.options.filter((o) => !o.hidden)) {
    out('.TP');
    out(`.B ${esc(o.flags)}`);
    const extra = o.argChoices ? ` (one of: ${o.argChoices.join(', ')})` : '';
    const def = o.defaultValue !== undefined && !Array.isArray(o.defaultValue) && typeof o.defaultValue !== 'boolean' ? ` (default: ${o.defaultValue})` : '';
    out(esc(`${o.description}${extra}${def}`));
  }
}
out('.SH EXIT STATUS');
for (const [code, text] of EXIT_CODES) {
  out('.TP');
  out(`.B ${code}`);
  out(esc(text));
}
out('.SH ENVIRONMENT');
for (const [name, text] of ENVIRONMENT) {
  out('.TP');
  out(`.B ${esc(name)}`);
  out(esc(text));
}
out('.SH FILES');
for (const [f, t] of [
  ['$VH_SECRETS_HOME/store.vhs', 'the embedded encrypted store (AES-256-GCM), mode 0600'],
  ['$VH_SECRETS_HOME/store.key', 'its key, created 0600 on first use unless VH_SECRETS_FILE_KEY is set'],
  ['$VH_SECRETS_HOME/audit.log', 'the local audit log: JSON lines, hash-chained, mode 0600'],
  ['./vh-secrets.toml, ~/.config/vh-secrets/config.toml', 'configuration (TOML)'],
]) {
  out('.TP');
  out(`.I ${esc(f)}`);
  out(esc(t));
}
out('.SH EXAMPLES');
out('.nf');
out(esc('printf %s "$DB_PASS" | vh-secrets create app/db --type database_password'));
out(esc('vh-secrets get prod-vault:app/db#password'));
out(esc('vh-secrets list --store aws-eu --type api_key --json'));
out(esc('vh-secrets revoke app/db --version 1 --yes'));
out('.fi');
out('.SH SEE ALSO');
out('The README and docs/ of the vh\\-secrets distribution.');
const text = `${lines.join('\n')}\n`;
const path = join(root, 'man', 'vh-secrets.1');
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('man/vh-secrets.1 is out of date: run `npm run man`');
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
}
