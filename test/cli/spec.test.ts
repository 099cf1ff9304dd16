import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import type { OptionsFrom } from '../../src/cli/spec.js';
import { defineCommand, helpAfter } from '../../src/cli/spec.js';
import { ROOT } from '../helpers/cli.js';

/** Compile-time: `Equal<A, B>` is true only for identical types. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const holds = <T extends true>(): T | undefined => undefined;

const spec = defineCommand({
  name: 'demo',
  description: 'a command of every kind of option',
  options: [
    { flags: '--at <version>', description: 'a value' },
    { flags: '-o, --output <file>', description: 'a value with a short flag' },
    { flags: '--dry-run', description: 'a switch' },
    { flags: '--fail-on [severity]', description: 'an optional value' },
    { flags: '--format <format>', description: 'a choice', choices: ['text', 'json'] },
    { flags: '--type <type>', description: 'with a default', default: 'generic' },
    { flags: '--tag <key=value>', description: 'repeatable', repeatable: true },
    { flags: '--no-expiry', description: 'negated only' },
    { flags: '--target <name>', description: 'a value or …' },
    { flags: '--no-target', description: '… its negation' },
  ],
  examples: ['vh-secrets demo --at 3'],
});

test('the options a spec declares are the type its run receives', () => {
  type Got = OptionsFrom<typeof spec.options>;
  type Want = {
    type: string;
    tag: string[];
    at?: string;
    output?: string;
    dryRun?: boolean;
    failOn?: string | true;
    format?: 'text' | 'json';
    expiry?: boolean;
    target?: string | boolean;
  };
  holds<Equal<{ [K in keyof Got]: Got[K] }, Want>>();
  expect(spec.name).toBe('demo');
});

test('help after the options: the text, then the examples under one heading', () => {
  expect(helpAfter(spec)).toBe('\nExample:\n  vh-secrets demo --at 3');
  expect(helpAfter({ name: 'x', description: '', help: '\nText.', examples: ['a', 'b'] })).toBe('\nText.\nExamples:\n  a\n  b');
  expect(helpAfter({ name: 'x', description: '' })).toBeUndefined();
});

test('a spec imports nothing but the spec helpers, and every spec is a command of the program', async () => {
  const dir = join(ROOT, 'src', 'cli', 'commands');
  const specs = readdirSync(dir).filter((f) => f.endsWith('.spec.ts'));
  const names: string[] = [];
  for (const file of specs) {
    const text = readFileSync(join(dir, file), 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect({ file, imports: imports.filter((i) => i !== '../spec.js' && i !== '../help-words.js') }).toEqual({ file, imports: [] });
    const spec = (await import(`../../src/cli/commands/${file.replace(/\.ts$/, '.js')}`)) as { default: { name: string } };
    names.push(spec.default.name);
  }
  const program = buildProgram('0', { invoke: async () => undefined });
  expect(program.commands.map((c) => c.name()).sort()).toEqual(names.sort());
});
