import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'revoke',
  description: 'revoke (disable) one version, or the whole secret when no version is given',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
  options: [
    { flags: '--at <version>', description: 'version id or stage to revoke; same as REF@VERSION' },
    { flags: '--force', description: 'allow revoking the current version on its own' },
  ],
});

export default spec;
export type RevokeOptions = OptionsOf<typeof spec>;
