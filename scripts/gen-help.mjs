// Writes dist/help.json: the exact `--help` output of the program and of every command (and alias), captured
// from the CLI itself, so the entry (src/cli/entry.ts) can print it without loading commander. Run after tsc (npm run build).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { runCli } = await import(join(root, 'dist/src/cli/run.js'));
const { buildProgram } = await import(join(root, 'dist/src/cli/program.js'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

async function capture(argv) {
  let out = '';
  let err = '';
  const sink = (fn) => new Writable({ write(chunk, _enc, cb) { fn(chunk.toString()); cb(); } });
  const code = await runCli(argv, version, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), stdin: process.stdin, env: { NO_COLOR: '1' } });
  if (code !== 0 || err !== '') throw new Error(`${argv.join(' ')}: exit ${code} ${err}`);
  return out;
}

const help = { '': await capture(['--help']) };
const program = buildProgram(version, { invoke: async () => undefined });
for (const cmd of program.commands) {
  const text = await capture([cmd.name(), '--help']);
  for (const name of [cmd.name(), ...cmd.aliases()]) help[name] = text;
}
writeFileSync(join(root, 'dist/help.json'), JSON.stringify({ version, help }));
