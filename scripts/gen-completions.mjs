// Writes the shell completion scripts shipped in completions/ from the same commander definitions as --help
// (the same text `vh-secrets completion bash|zsh|fish` prints). `--check` exits 1 when a committed one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildProgram } = await import(join(root, 'dist/src/cli/program.js'));
const { bashScript, zshScript, fishScript } = await import(join(root, 'dist/src/cli/completion.js'));
const program = buildProgram('', { invoke: async () => undefined });
const files = {
  'completions/vh-secrets.bash': bashScript(program),
  'completions/_vh-secrets': zshScript(program),
  'completions/vh-secrets.fish': fishScript(program),
};
let stale = 0;
for (const [file, text] of Object.entries(files)) {
  const path = join(root, file);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = '';
    }
    if (current !== text) {
      process.stderr.write(`${file} is stale: run npm run man\n`);
      stale++;
    }
  } else {
    writeFileSync(path, text);
  }
}
process.exit(stale ? 1 : 0);
