// The CLI's commands as declarations: each flag is declared once (its name, the value it takes,
// its help line, the lab spec field it fills) and parsing, `--help` and the flag names in
// messages all come from that. node's util.parseArgs splits the words; the checks here turn
// what it lets through into messages that name the flag.
import { parseArgs } from 'node:util';
import { connectClient, type TemporalClient } from '../activities/temporal.js';
import type { LabSpecInput } from '../lab/spec.js';
import { exitCodes } from '../lab/signals.js';

/** Bad input on the command line: the command exits 2 with its message and does nothing. */
export class UsageError extends Error {}

export interface Flag {
  /** The value the flag takes, as help shows it (TYPE, N); absent for a switch. */
  value?: string;
  help: string;
  /** Taken when the flag is absent; help shows it. */
  default?: string;
  /** The lab spec field the flag fills, so the spec's problems with it are reported under the flag. */
  field?: keyof LabSpecInput;
}
export type Flags = Record<string, Flag>;

/** A switch is a boolean; a flag with a value is a string, or undefined when absent without a default. */
export type FlagValues<F extends Flags> = {
  [K in keyof F]: F[K] extends { value: string }
    ? F[K] extends { default: string }
      ? string
      : string | undefined
    : boolean;
};

export interface Positional {
  name: string;
  help: string;
  /** Takes every remaining word, none at all included. */
  rest?: boolean;
}

export interface Parsed<F extends Flags> {
  flags: FlagValues<F>;
  args: string[];
}

/** Temporal, connected on first use: commands that fail before needing it never connect. */
export type Connect = () => Promise<TemporalClient>;

export interface Command<F extends Flags = Flags> {
  about: string;
  args?: Positional[];
  flags: F;
  run(input: Parsed<F>, temporal: Connect): Promise<number>;
}

export interface Group {
  about: string;
  commands: Record<string, Command | Group>;
  /** Runs when the first word names no subcommand (`sweep --dry-run`). */
  fallback?: Command;
}

/** Declares a command; the identity keeps its flags' types for `run`. */
export const command = <F extends Flags>(declared: Command<F>): Command<F> => declared;

const isGroup = (entry: Command | Group): entry is Group => 'commands' in entry;

const helpFlag: Flag = { help: 'show this help and do nothing else' };

/** A word that starts like a negative number (-5m, -1) is a value, never a flag. */
const negative = /^-\d/;

/** The command line split by the declarations, or 'help' when --help (-h) is anywhere in it. */
export function parse<F extends Flags>(cmd: Command<F>, argv: string[]): Parsed<F> | 'help' {
  const { tokens } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(
        Object.entries(cmd.flags).map(([name, f]) => [
          name,
          { type: f.value ? ('string' as const) : ('boolean' as const) },
        ]),
      ),
      help: { type: 'boolean', short: 'h' },
    },
    // Not strict: unknown flags and missing values come back as tokens, and are refused below
    // with messages that name the flag.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  const values: Record<string, string | boolean | undefined> = {};
  const args: string[] = [];
  let lastIndex = -1;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional' || negative.test(argv[token.index]!)) {
      // parseArgs splits -5m into -5 and -m, both at one index: keep the word once.
      if (token.index !== lastIndex) args.push(argv[token.index]!);
      lastIndex = token.index;
      continue;
    }
    const flag = Object.hasOwn(cmd.flags, token.name) ? cmd.flags[token.name] : undefined;
    if (!flag) throw new UsageError(`unknown flag ${token.rawName}`);
    if (!flag.value) {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value (${flag.value})`);
    // `--nodes --plan` would take --plan as the number of nodes; `--nodes=-1` is a value on purpose.
    if (!token.inlineValue && token.value.startsWith('-') && !negative.test(token.value))
      throw new UsageError(
        `${token.rawName} needs a value (${flag.value}), not ${token.value}; write --${token.name}=${token.value} if that is it`,
      );
    values[token.name] = token.value;
  }
  for (const [name, flag] of Object.entries(cmd.flags)) values[name] ??= flag.value ? flag.default : false;

  const declared = cmd.args ?? [];
  const missing = declared.slice(args.length).find((a) => !a.rest);
  if (missing) throw new UsageError(`missing <${missing.name}>: ${missing.help}`);
  if (args.length > declared.length && !declared.at(-1)?.rest)
    throw new UsageError(`unexpected argument ${JSON.stringify(args[declared.length])}`);
  return { flags: values as FlagValues<F>, args };
}

const argSynopsis = (a: Positional): string => (a.rest ? `[${a.name}…]` : `<${a.name}>`);

/** The words after the program that call a command: `<lab-id> <duration> [flags]`. */
function synopsis(cmd: Command): string {
  const words = (cmd.args ?? []).map(argSynopsis);
  if (Object.keys(cmd.flags).length > 0) words.push('[flags]');
  return words.join(' ');
}

const table = (rows: [string, string][]): string[] => {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
};

/** How a person types the command: prog `lab schedule` is `npm run lab -- schedule`. */
function npmRun(prog: string): string {
  const [script, ...words] = prog.split(' ');
  return ['npm run', script, '--', ...words].join(' ');
}

export function commandHelp(prog: string, cmd: Command): string {
  const rows: [string, string][] = [
    ...(cmd.args ?? []).map((a): [string, string] => [argSynopsis(a), a.help]),
    ...Object.entries({ ...cmd.flags, help: helpFlag }).map(([name, f]): [string, string] => [
      `${name === 'help' ? '-h, ' : ''}--${name}${f.value ? ` ${f.value}` : ''}`,
      `${f.help}${f.default ? ` (default ${f.default})` : ''}`,
    ]),
  ];
  return [`${npmRun(prog)} ${synopsis(cmd)}`.trimEnd(), cmd.about, '', ...table(rows)].join('\n');
}

function groupHelp(prog: string, group: Group): string {
  const rows = Object.entries(group.commands).map(([name, entry]): [string, string] => [
    isGroup(entry) ? `${name} …` : `${name} ${synopsis(entry)}`.trimEnd(),
    entry.about,
  ]);
  const own = group.fallback
    ? [commandHelp(prog, group.fallback), '', `${npmRun(prog)} <command>:`]
    : [`${npmRun(prog)} <command>`, group.about, ''];
  return [...own, ...table(rows), '', `\`${npmRun(prog)} <command> --help\` shows a command's flags.`].join('\n');
}

/**
 * Runs the command the words name and returns its exit code: 0 for --help, 2 for bad input
 * (the message names the flag), otherwise the command's own. Temporal is connected only when
 * the command asks for it, and closed at the end.
 */
export async function runCli(prog: string, entry: Command | Group, argv: string[], connect: Connect): Promise<number> {
  let opened: Promise<TemporalClient> | undefined;
  const temporal: Connect = () => (opened ??= connect());
  try {
    return await dispatch(prog, entry, argv, temporal);
  } finally {
    if (opened) await (await opened.catch(() => undefined))?.close();
  }
}

async function dispatch(prog: string, entry: Command | Group, argv: string[], temporal: Connect): Promise<number> {
  if (isGroup(entry)) {
    const [word, ...rest] = argv;
    const sub = word && Object.hasOwn(entry.commands, word) ? entry.commands[word] : undefined;
    if (sub) return dispatch(`${prog} ${word}`, sub, rest, temporal);
    if (word === 'help' || word === '--help' || word === '-h') {
      console.log(groupHelp(prog, entry));
      return 0;
    }
    if (entry.fallback && !(word && /^[a-z]/.test(word))) return dispatch(prog, entry.fallback, argv, temporal);
    console.error(
      `${word ? `unknown command ${JSON.stringify(word)}` : 'give a command'}\n\n${groupHelp(prog, entry)}`,
    );
    return exitCodes.invalid;
  }
  let input;
  try {
    input = parse(entry, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${prog}: ${err.message}\n(\`${npmRun(prog)} --help\` shows how to call it)`);
    return exitCodes.invalid;
  }
  if (input === 'help') {
    console.log(commandHelp(prog, entry));
    return 0;
  }
  try {
    return await entry.run(input, temporal);
  } catch (err) {
    // A usage error found while running is a whole sentence of its own (Temporal is not reachable…).
    if (err instanceof UsageError) {
      console.error(err.message);
      return exitCodes.invalid;
    }
    console.error(`${prog}: ${(err as Error).message}`);
    return exitCodes.failed;
  }
}

/** The Temporal the environment names; unreachable is one line and exit 2, not a stack trace. */
export async function reachTemporal(): Promise<TemporalClient> {
  try {
    return await connectClient();
  } catch (err) {
    throw new UsageError(
      `Temporal is not reachable (${(err as Error).message.split('\n')[0]}): start it, or set TEMPORAL_ADDRESS`,
    );
  }
}
