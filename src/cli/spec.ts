/**
 * A command's surface as data: its flags, arguments, help text and examples. Each command declares one in
 * `commands/<name>.spec.ts`, importing nothing but this file and `help-words.ts`, so building the program loads
 * no command code and no SDK; `program.ts` turns the specs into commander commands, and `--help`, the man page and
 * completion are generated from them. The options a command's `run` receives are typed from its spec
 * (`OptionsOf`), and `program.ts` holds each run module to it.
 */
export interface OptionSpec {
  /** commander's flags: `--at <version>`, `-o, --output <file>`, `--dry-run`, `--no-mask`, `--fail-on-anomalies [severity]` */
  readonly flags: string;
  readonly description: string;
  /** The only values accepted (commander checks them; help and completion list them). */
  readonly choices?: readonly string[];
  readonly default?: string;
  /** May be given more than once; the values are collected in order (default: none). */
  readonly repeatable?: true;
}

export interface ArgumentSpec {
  /** `<ref>` (required), `[pattern]` (optional), `<command...>` (variadic) */
  readonly name: string;
  readonly description?: string;
  readonly choices?: readonly string[];
  readonly default?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line: the command list of `--help` and the man page. */
  readonly description: string;
  readonly arguments?: readonly ArgumentSpec[];
  readonly options?: readonly OptionSpec[];
  /** Text shown after the options in `<command> --help`. */
  readonly help?: string;
  /** Command lines shown last in `--help` (under "Example:" / "Examples:"). */
  readonly examples?: readonly string[];
  /** Options after the first argument belong to it (`run -- COMMAND --flag`). */
  readonly passThroughOptions?: true;
  /** Left out of help, the man page and completion. */
  readonly hidden?: true;
}

/** Identity: holds a spec's literal types (flag strings, choices) so `OptionsOf` can read them. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

/** The text after the options in `--help`: the spec's help, then its examples. */
export function helpAfter(spec: CommandSpec): string | undefined {
  const examples = spec.examples ?? [];
  const block = examples.length === 0 ? '' : `\nExample${examples.length === 1 ? '' : 's'}:\n${examples.map((e) => `  ${e}`).join('\n')}`;
  const text = `${spec.help ?? ''}${block}`;
  return text === '' ? undefined : text;
}

// ---- the options a spec declares, as a type ------------------------------------------------------------

/** `--value-file` → `valueFile` (commander's attribute name). */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
/** The long flag's name, without `--` or a value placeholder: `-o, --output <file>` → `output`. */
type LongName<F extends string> = F extends `${string}--${infer Rest}` ? (Rest extends `${infer Name} ${string}` ? Name : Rest) : never;
/** `--no-mask` sets `mask`. */
type Positive<N extends string> = N extends `no-${infer P}` ? P : N;
type KeyOf<O extends OptionSpec> = Camel<Positive<LongName<O['flags']>>>;

type ValueOf<O extends OptionSpec> = O extends { repeatable: true }
  ? string[]
  : O extends { choices: readonly (infer C)[] }
    ? C
    : O['flags'] extends `${string}<${string}>${string}`
      ? string
      : O['flags'] extends `${string}[${string}]${string}`
        ? string | true
        : boolean;

/** Always set: a repeatable option (at least []) or one with a default. */
type Present<O extends OptionSpec> = O extends { repeatable: true } ? true : O extends { default: string } ? true : false;

type Flatten<T> = { [K in keyof T]: T[K] };

/** What commander parses for these options: one property per long flag, `--x`/`--no-x` sharing one. */
export type OptionsFrom<T extends readonly OptionSpec[]> = Flatten<
  { [O in T[number] as Present<O> extends true ? KeyOf<O> : never]: ValueOf<O> } & {
    [O in T[number] as Present<O> extends true ? never : KeyOf<O>]?: ValueOf<O>;
  }
>;

/** The options a command's `run` receives. */
export type OptionsOf<S extends CommandSpec> = S['options'] extends readonly OptionSpec[] ? OptionsFrom<S['options']> : Record<never, never>;
