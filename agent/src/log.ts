/** Log levels, most verbose first. */
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Extra structured fields on a log line. `Error` values are reduced to name, message and code. */
export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON object per line, `{time, level, msg, ...fields}`. */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ component: 'shipper' }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default: stderr, so stdout stays free for command output. */
  write?: (line: string) => void;
  /** Fields added to every line. */
  base?: LogFields;
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.base ?? {};
  const threshold = logLevels.indexOf(level);

  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (logLevels.indexOf(lvl) < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    write(JSON.stringify(record, replacer) + '\n');
  };

  return {
    level,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ level, write, base: { ...base, ...fields } }),
  };
}

function replacer(_key: string, value: unknown): unknown {
  // JSON.stringify turns an Error into {}; keep what an operator needs to act on it.
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    const cause = value.cause instanceof Error ? value.cause.message : undefined;
    return { name: value.name, message: value.message, ...(code ? { code } : {}), ...(cause ? { cause } : {}) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
