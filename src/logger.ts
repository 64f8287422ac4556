/**
 * The optional logger: any object with pino's `debug/info/warn/error(obj, msg)` methods (pino itself,
 * or `console`-backed adapters). chromalite prints nothing unless given one.
 */
export interface Logger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {};
