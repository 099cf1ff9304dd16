import { defineCommand } from '../spec.js';

const spec = defineCommand({
  name: 'completion',
  description: 'print a shell completion script',
  arguments: [{ name: '<shell>', description: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] }],
  help: '\nbash: vh-secrets completion bash > /etc/bash_completion.d/vh-secrets\nzsh:  vh-secrets completion zsh > "${fpath[1]}/_vh-secrets"\nfish: vh-secrets completion fish > ~/.config/fish/completions/vh-secrets.fish\nSecret names are completed from the configured stores through a 60 s private cache ($VH_SECRETS_HOME/cache)\nand a 1.5 s deadline, so a slow store never freezes the shell.',
});

export default spec;
