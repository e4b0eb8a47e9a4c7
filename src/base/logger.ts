/**
 * Where the SDK reports what went wrong. The shape is a subset of pino's, so a pino (or
 * compatible) logger can be passed as is.
 */
export interface Logger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

function line(level: string, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }) + "\n");
}

/** The default logger: one JSON line per event on stderr. */
export const stderrLogger: Logger = {
  error: (fields, message) => line("error", fields, message),
  warn: (fields, message) => line("warn", fields, message),
  info: (fields, message) => line("info", fields, message),
};

/** A logger that drops everything (for tests that provoke errors on purpose). */
export const silentLogger: Logger = { error() {}, warn() {}, info() {} };
