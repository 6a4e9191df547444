/** Errors carry a code and a cause, and say what was expected and what arrived. */
export class UnmeteredError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnmeteredError';
  }
}
