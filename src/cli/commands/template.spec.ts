import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'template',
  description: 'render {{ secret "REF" }} placeholders (| base64, | json) into a file written atomically with mode 0600',
  arguments: [{ name: '<input>', description: 'the template (- for stdin)' }],
  options: [
    { flags: '-o, --output <file>', description: 'write here (atomically, 0600) instead of stdout' },
  ],
  help: '\nEvery secret is read before anything is written: a missing one (or a placeholder vh-secrets does not know)\nis an error naming its line, and no output is produced. Each value read is audited as `accessed`. Printing\nto a terminal needs --yes.',
  examples: [
    'vh-secrets template app.conf.tmpl -o /etc/app/app.conf',
  ],
});

export default spec;
export type TemplateOptions = OptionsOf<typeof spec>;
