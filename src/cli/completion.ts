import type { Command } from 'commander';
import { SECRET_TYPES } from '../core/types.js';

/**
 * Shell completion scripts, generated from the same commander definitions as --help. Secret references and
 * store aliases come from the hidden `__complete` command, which answers from a short-lived cache and gives
 * up after a strict timeout, so a slow store never freezes the shell.
 */

/** Positional arguments that are secret references. */
const REF_COMMANDS = ['get', 'create', 'put', 'set', 'update', 'copy', 'describe', 'revoke', 'rotate', 'lifecycle', 'deprecate', 'archive', 'purge'];
/** Words offered beside the secret references (`lifecycle report`). */
const REF_EXTRA_WORDS: Record<string, readonly string[]> = { lifecycle: ['report'] };
const FILE_OPTIONS = ['--config', '--value-file', '--output', '--metrics-file', '--baseline', '--log', '--path', '--anchor', '--identity', '--recipients-file'];
/** Commands whose positional argument is a file. */
const FILE_COMMANDS = ['scan', 'restore'];
const VALUE_CHOICES: Record<string, readonly string[]> = {
  '--type': SECRET_TYPES,
  '--format': ['text', 'json', 'sarif'],
};

interface Spec {
  name: string;
  aliases: string[];
  flags: string[];
  /** options that take a value */
  valued: string[];
  /** fixed choices of the first positional argument (`audit report|verify|flush`, `completion bash|zsh|fish`) */
  positional: readonly string[];
  /** the command's own choices for an option's value (`get --format raw|json|…`), over VALUE_CHOICES */
  choices: Record<string, readonly string[]>;
}

function specs(program: Command): { commands: Spec[]; global: string[]; globalValued: string[] } {
  // Each command carries hidden copies of the global options; those are offered once, as globals.
  const flagsOf = (cmd: Command) => cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const valuedOf = (cmd: Command) => cmd.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const commands = program.commands
    .filter((c) => !c.name().startsWith('__'))
    .map((c) => ({
      name: c.name(),
      aliases: c.aliases(),
      flags: flagsOf(c),
      valued: valuedOf(c),
      positional: c.registeredArguments[0]?.argChoices ?? [],
      choices: Object.fromEntries(c.options.filter((o) => o.long && o.argChoices).map((o) => [o.long!, o.argChoices!])),
    }));
  return { commands, global: [...flagsOf(program), '--help', '-h'], globalValued: valuedOf(program) };
}

export function bashScript(program: Command): string {
  const { commands, global, globalValued } = specs(program);
  const names = commands.flatMap((c) => [c.name, ...c.aliases]);
  const perCommand = commands
    .map((c) => `    ${[c.name, ...c.aliases].join('|')}) opts="${c.flags.join(' ')}"; valued="${c.valued.join(' ')}" ;;`)
    .join('\n');
  const choices = Object.entries(VALUE_CHOICES)
    .map(([flag, values]) => `    ${flag}) COMPREPLY=($(compgen -W "${values.join(' ')}" -- "$cur")); return ;;`)
    .join('\n');
  return `# bash completion for vh-secrets — generated from its command definitions; do not edit.
# Install: vh-secrets completion bash > /etc/bash_completion.d/vh-secrets  (or source it from ~/.bashrc)
_vh_secrets() {
  local cur prev cmd i opts="" valued=""
  # Complete across ':' in STORE:NAME references whatever COMP_WORDBREAKS says.
  cur=\${COMP_LINE:0:$COMP_POINT}; cur=\${cur##*[[:space:]]}
  prev=\${COMP_WORDS[COMP_CWORD-1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      -*) ;;
      *) case " ${globalValued.join(' ')} " in *" \${COMP_WORDS[i-1]} "*) ;; *) cmd=\${COMP_WORDS[i]}; break ;; esac ;;
    esac
  done
  case $cmd in
${perCommand}
  esac
  case "$cmd $prev" in
${commands
  .flatMap((c) => Object.entries(c.choices).map(([flag, values]) => `    ${[c.name, ...c.aliases].map((n) => `"${n} ${flag}"`).join('|')}) COMPREPLY=($(compgen -W "${values.join(' ')}" -- "$cur")); return ;;`))
  .join('\n')}
  esac
  case $prev in
${choices}
    --store|--to-store) COMPREPLY=($(compgen -W "$(vh-secrets __complete stores 2>/dev/null)" -- "$cur")); return ;;
    ${FILE_OPTIONS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} ${global.join(' ')}" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${global.join(' ')}" -- "$cur"))
  else
    case $cmd in
${Object.entries(REF_EXTRA_WORDS)
  .map(([cmd, words]) => `      ${cmd}) COMPREPLY=($(compgen -W "${words.join(' ')} $(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;`)
  .join('\n')}
      ${REF_COMMANDS.filter((c) => !(c in REF_EXTRA_WORDS)).join('|')}) COMPREPLY=($(compgen -W "$(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;
${commands
  .filter((c) => c.positional.length > 0)
  .map((c) => `      ${[c.name, ...c.aliases].join('|')}) COMPREPLY=($(compgen -W "${c.positional.join(' ')}" -- "$cur")) ;;`)
  .join('\n')}
      ${FILE_COMMANDS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  fi
  # bash splits words at ':' (zsh does not): offer only the part after the last ':' the user typed.
  if [[ -n \${BASH_VERSION-} && $COMP_WORDBREAKS == *:* && $cur == *:* ]]; then
    local pre=\${cur%"\${cur##*:}"} c out=()
    for c in "\${COMPREPLY[@]}"; do out+=("\${c#"$pre"}"); done
    COMPREPLY=("\${out[@]}")
  fi
}
complete -o default -F _vh_secrets vh-secrets
`;
}

export function zshScript(program: Command): string {
  return `#compdef vh-secrets
# zsh completion for vh-secrets — generated from its command definitions; do not edit.
# Install: vh-secrets completion zsh > "\${fpath[1]}/_vh-secrets"  (then restart zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').filter((l) => !l.startsWith('#')).join('\n')}`;
}

export function fishScript(program: Command): string {
  const { commands, global } = specs(program);
  const lines = [
    '# fish completion for vh-secrets — generated from its command definitions; do not edit.',
    '# Install: vh-secrets completion fish > ~/.config/fish/completions/vh-secrets.fish',
    'complete -c vh-secrets -f',
  ];
  for (const c of commands) {
    const desc = program.commands.find((x) => x.name() === c.name)?.description().replace(/'/g, "\\'").slice(0, 80) ?? '';
    lines.push(`complete -c vh-secrets -n '__fish_use_subcommand' -a '${c.name}' -d '${desc}'`);
  }
  for (const flag of global.filter((f) => f.startsWith('--'))) lines.push(`complete -c vh-secrets -l ${flag.slice(2)}`);
  for (const c of commands) {
    const cond = `__fish_seen_subcommand_from ${[c.name, ...c.aliases].join(' ')}`;
    for (const flag of c.flags.filter((f) => f.startsWith('--'))) {
      const name = flag.slice(2);
      const choices = c.choices[flag] ?? VALUE_CHOICES[flag];
      if (choices) lines.push(`complete -c vh-secrets -n '${cond}' -l ${name} -x -a '${choices.join(' ')}'`);
      else if (flag === '--store' || flag === '--to-store') lines.push(`complete -c vh-secrets -n '${cond}' -l ${name} -x -a '(vh-secrets __complete stores 2>/dev/null)'`);
      else if (FILE_OPTIONS.includes(flag)) lines.push(`complete -c vh-secrets -n '${cond}' -l ${name} -r -F`);
      else if (c.valued.includes(flag)) lines.push(`complete -c vh-secrets -n '${cond}' -l ${name} -x`);
      else lines.push(`complete -c vh-secrets -n '${cond}' -l ${name}`);
    }
    if (REF_COMMANDS.includes(c.name)) lines.push(`complete -c vh-secrets -n '${cond}' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'`);
    if (FILE_COMMANDS.includes(c.name)) lines.push(`complete -c vh-secrets -n '${cond}' -F`);
    const extra = REF_EXTRA_WORDS[c.name];
    if (extra) lines.push(`complete -c vh-secrets -n '${cond}' -a '${extra.join(' ')}'`);
    if (c.positional.length > 0) lines.push(`complete -c vh-secrets -n '${cond}' -a '${c.positional.join(' ')}'`);
  }
  return `${lines.join('\n')}\n`;
}
