import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'list',
  aliases: ['ls'],
  description: 'list secrets (names and metadata, never values) across the configured stores',
  arguments: [{ name: '[pattern]', description: 'only names matching this glob (* within a path segment, ** across; with STORE: on store:name)' }],
  options: [
    { flags: '--prefix <prefix>', description: 'only names starting with this' },
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--store <alias>', description: 'only this store' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
  ],
});

export default spec;
export type ListOptions = OptionsOf<typeof spec>;
