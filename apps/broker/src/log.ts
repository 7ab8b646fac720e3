/**
 * The broker's logging surface: Nest's `Logger` satisfies it (main.ts passes one); tests pass a quiet or
 * recording one. Kept as an interface so the broker core does not import the framework.
 */
export interface BrokerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export const consoleLogger: BrokerLogger = {
  log: (m) => console.log(`[broker] ${m}`),
  warn: (m) => console.warn(`[broker] ${m}`),
  error: (m) => console.error(`[broker] ${m}`),
  debug: () => undefined,
};

export const silentLogger: BrokerLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};
