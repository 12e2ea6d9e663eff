// The command line's grammar: one table of options per subcommand drives the
// parser, the range checks and the --help text alike, so they cannot drift
// apart. The parser is getopt-like on purpose: an option that takes a value
// always takes the next argument, so `--seed -7` is a seed, not a flag.

/** A mistake in the command line: printed with a usage hint, exit code 2. */
export class UsageError extends Error {
  /** Creates the error with a one-line message naming the mistake. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** How an option's value is read and checked. */
export type OptionKind = "flag" | "text" | "int" | "number" | "choice";

/** One option of a subcommand: its spelling, its value and its help line. */
export interface OptionSpec {
  /** Long name, without the dashes. */
  name: string;
  /** One-letter alias, without the dash. */
  short?: string;
  /** How the value is read; "flag" takes none. */
  kind: OptionKind;
  /** The value's placeholder in --help (e.g. "FILE"). */
  value?: string;
  /** What it does, for --help. */
  help: string;
  /** Smallest accepted value ("int" and "number"). */
  min?: number;
  /** Largest accepted value ("int" and "number"). */
  max?: number;
  /** Accepted values ("choice"). */
  choices?: readonly string[];
  /** The default, as --help shows it. */
  default?: string;
  /** May be given several times; the values are collected in order. */
  repeat?: boolean;
}

/** A subcommand's grammar: what --help shows and what the parser accepts. */
export interface CommandSpec {
  /** The subcommand's name (`synth` for the default command). */
  name: string;
  /** One line for the overview of commands. */
  summary: string;
  /** Usage lines, without the leading "tex-synth ". */
  usage: readonly string[];
  /** Options in --help order. */
  options: readonly OptionSpec[];
  /** Fewest and most positional arguments, and what they are called in errors. */
  positionals: { name: string; min: number; max: number };
  /** Lines printed after the options. */
  notes?: readonly string[];
}

/** Values by long option name: strings, numbers, booleans, or arrays for repeated options. */
export type OptionValues = Record<string, string | number | boolean | (string | number)[]>;

/** What {@link parseOptions} found. */
export interface ParsedCommand {
  /** Option values by long name; flags are present only when given. */
  values: OptionValues;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/** Formats a range bound for humans: 1000000 → "1,000,000". */
function _bound(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : String(n);
}

/** "from 0 to 1,000,000", "at least 1" or "" for an option's range. */
export function rangeText(spec: OptionSpec): string {
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) return `from ${_bound(min)} to ${_bound(max)}`;
  if (min !== undefined) return `at least ${_bound(min)}`;
  if (max !== undefined) return `at most ${_bound(max)}`;
  return "";
}

function _read(spec: OptionSpec, raw: string): string | number {
  const flag = `--${spec.name}`;
  if (raw === "") throw new UsageError(`${flag} needs a value`);
  switch (spec.kind) {
    case "text":
      return raw;
    case "choice": {
      const choices = spec.choices ?? [];
      if (choices.includes(raw)) return raw;
      const list = choices.length === 2
        ? choices.join(" or ")
        : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
      throw new UsageError(`${flag} must be ${list}, got "${raw}"`);
    }
    case "int":
    case "number": {
      const whole = spec.kind === "int";
      const pattern = whole ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
      const range = rangeText(spec);
      const what = whole ? "a whole number" : "a number";
      const n = Number(raw.trim());
      const ok = pattern.test(raw.trim()) && Number.isFinite(n) &&
        (!whole || Number.isSafeInteger(n)) &&
        (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
      if (!ok) {
        throw new UsageError(`${flag} must be ${what}${range ? ` ${range}` : ""}, got "${raw}"`);
      }
      return n;
    }
    default:
      throw new Error(`option ${flag} takes no value`);
  }
}

function _store(values: OptionValues, spec: OptionSpec, value: string | number | boolean): void {
  if (spec.repeat) {
    const list = (values[spec.name] as (string | number)[] | undefined) ?? [];
    list.push(value as string | number);
    values[spec.name] = list;
  } else if (spec.kind !== "flag" && spec.name in values) {
    throw new UsageError(`--${spec.name} is given twice`);
  } else {
    values[spec.name] = value;
  }
}

/**
 * Parses `argv` against `spec`: `--name value`, `--name=value`, `-x value`,
 * `-xvalue`, clustered short flags (`-qV`), and `--` before arguments that
 * start with a dash. Throws {@link UsageError} for unknown options, missing
 * or out-of-range values and a wrong number of positional arguments.
 */
export function parseOptions(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: OptionValues = {};
  const positionals: string[] = [];
  const valueFor = (o: OptionSpec, inline: string | undefined, i: number): [string, number] => {
    if (inline !== undefined) return [inline, i];
    if (i + 1 >= argv.length) throw new UsageError(`--${o.name} needs a value`);
    return [argv[i + 1], i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const o = byName.get(name);
      if (!o) throw new UsageError(`unknown option --${name}${_suggest(name, spec)}`);
      if (o.kind === "flag") {
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
        _store(values, o, true);
        continue;
      }
      const [raw, next] = valueFor(o, inline, i);
      i = next;
      _store(values, o, _read(o, raw));
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      for (let k = 1; k < arg.length; k++) {
        const o = byShort.get(arg[k]);
        if (!o) throw new UsageError(`unknown option -${arg[k]}`);
        if (o.kind === "flag") {
          _store(values, o, true);
          continue;
        }
        const rest = arg.slice(k + 1);
        const [raw, next] = valueFor(o, rest === "" ? undefined : rest, i);
        i = next;
        _store(values, o, _read(o, raw));
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  const { name, min, max } = spec.positionals;
  if (positionals.length < min) throw new UsageError(`missing the ${name}`);
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument "${positionals[max]}"`);
  }
  return { values, positionals };
}

function _suggest(name: string, spec: CommandSpec): string {
  const near = spec.options.find((o) => _distance(o.name, name) <= 2);
  return near ? ` (did you mean --${near.name}?)` : "";
}

/** Levenshtein distance, for "did you mean" hints on short names. */
function _distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** Help lines stay within this many columns, as a terminal of 100 shows them. */
const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters. */
function _wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The --help lines of one option, its range and default appended, wrapped under its text. */
function _optionLines(o: OptionSpec): string[] {
  const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`;
  const extra = [rangeText(o), o.default !== undefined ? `default ${o.default}` : ""]
    .filter((s) => s !== "").join("; ");
  const indent = 27;
  const text = _wrap(`${o.help}${extra ? ` (${extra})` : ""}`, HELP_WIDTH - indent);
  const head = `  ${flag.padEnd(24)} `;
  return text.map((t, i) => (i === 0 ? head.padEnd(indent) : " ".repeat(indent)) + t);
}

/** The --help text of a subcommand: title, usage, options, notes. */
export function helpText(title: string, spec: CommandSpec): string {
  return [
    title,
    "",
    "Usage:",
    ...spec.usage.map((u) => `  tex-synth ${u}`),
    "",
    "Options:",
    ...spec.options.flatMap(_optionLines),
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
  ].join("\n");
}
