/**
 * Typed errors. Every error chromalite throws is a {@link ChromaLiteError} with a stable `name` and
 * `code`; the subclasses carry the names the official Chroma clients use for the same failure. What
 * HTTP status each answers is the server's business (server/errors.ts).
 */

/** The stable error codes: `err.code === ErrorCodes.NOT_FOUND`. */
export const ErrorCodes = Object.freeze({
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  INVALID_COLLECTION: "INVALID_COLLECTION",
  NOT_FOUND: "NOT_FOUND",
  UNIQUE_CONSTRAINT: "UNIQUE_CONSTRAINT",
  CLOSED: "CLOSED",
  ABORTED: "ABORTED",
  TIMEOUT: "TIMEOUT",
  LOCKED: "LOCKED",
  CORRUPTION: "CORRUPTION",
  RESET_DISABLED: "RESET_DISABLED",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  FOLDER_GONE: "FOLDER_GONE",
  STORAGE_FULL: "STORAGE_FULL",
  READ_ONLY: "READ_ONLY",
  INTERNAL: "INTERNAL",
} as const);

export type ErrorCode = keyof typeof ErrorCodes;

/** Base class of every error chromalite throws. Test with `instanceof` or compare `code`. */
export class ChromaLiteError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

function named<T extends abstract new (...args: never[]) => ChromaLiteError>(cls: T, name: string): T {
  // `name` on the prototype (as better-sqlite3 does) keeps it stable under minifiers and out of own keys.
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
  return cls;
}
named(ChromaLiteError, "ChromaLiteError");

/** Bad input: a malformed id, embedding, metadata, filter or option. Nothing was changed. */
export class InvalidArgumentError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
  }
}
named(InvalidArgumentError, "InvalidArgumentError");

/** A collection handle that can no longer be used, or an invalid collection definition. */
export class InvalidCollectionError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_COLLECTION", message, options);
  }
}
named(InvalidCollectionError, "InvalidCollectionError");

/** A tenant, database or collection that does not exist. */
export class NotFoundError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NOT_FOUND", message, options);
  }
}
named(NotFoundError, "NotFoundError");

/** A tenant, database or collection name that is already taken. */
export class UniqueConstraintError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNIQUE_CONSTRAINT", message, options);
  }
}
named(UniqueConstraintError, "UniqueConstraintError");

/** The client was closed; open a new one. */
export class ClosedError extends ChromaLiteError {
  constructor(message = "The client is closed", options?: { cause?: unknown }) {
    super("CLOSED", message, options);
  }
}
named(ClosedError, "ClosedError");

/** The caller's AbortSignal fired. A cancelled write changed nothing. */
export class AbortError extends ChromaLiteError {
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super("ABORTED", message, options);
  }
}
named(AbortError, "AbortError");

/** The operation did not finish within its timeout. A timed-out write changed nothing. */
export class TimeoutError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TIMEOUT", message, options);
  }
}
named(TimeoutError, "TimeoutError");

/** Another process holds the data folder. The message names its PID. */
export class LockedError extends ChromaLiteError {
  readonly holderPid: number | undefined;
  constructor(message: string, holderPid?: number, options?: { cause?: unknown }) {
    super("LOCKED", message, options);
    this.holderPid = holderPid;
  }
}
named(LockedError, "LockedError");

/** A write through a client opened with `readOnly: true`. Nothing was changed. */
export class ReadOnlyError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("READ_ONLY", message, options);
  }
}
named(ReadOnlyError, "ReadOnlyError");

/** Stored data failed an integrity check. */
export class CorruptionError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CORRUPTION", message, options);
  }
}
named(CorruptionError, "CorruptionError");

/** `reset()` was called on a client that was not opened with `allowReset: true`. */
export class ResetDisabledError extends ChromaLiteError {
  constructor(message = "Reset is disabled by config", options?: { cause?: unknown }) {
    super("RESET_DISABLED", message, options);
  }
}
named(ResetDisabledError, "ResetDisabledError");

/** A Chroma feature chromalite does not offer (yet). */
export class NotImplementedError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NOT_IMPLEMENTED", message, options);
  }
}
named(NotImplementedError, "NotImplementedError");

/**
 * The open data folder was deleted or replaced under the running process (its database file is gone
 * or is another file now). Every call fails from then on, and no write is acknowledged: it would land
 * in a file nobody can open again. Reopen the folder (restart the server).
 */
export class FolderGoneError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FOLDER_GONE", message, options);
  }
}
named(FolderGoneError, "FolderGoneError");

/** The disk (or quota) holding the folder is full: nothing of the call was stored. Free space and retry. */
export class StorageFullError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORAGE_FULL", message, options);
  }
}
named(StorageFullError, "StorageFullError");

/** Error codes from below that mean "no space left": SQLite's and the OS's. */
const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);

/** An unexpected failure inside chromalite or a native library; `cause` has the original. */
export class InternalError extends ChromaLiteError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INTERNAL", message, options);
  }
}
named(InternalError, "InternalError");

/** Wraps anything thrown from below (SQLite, hnswlib) that is not already ours. */
export function wrapError(err: unknown, context: string): ChromaLiteError {
  if (err instanceof ChromaLiteError && !(err instanceof InternalError && isStorageFull(err.cause))) return err;
  const cause = err instanceof InternalError ? err.cause : err;
  const message = err instanceof Error ? err.message : String(err);
  if (isStorageFull(cause)) {
    return new StorageFullError(`${context}: the disk holding the data folder is full (${message}); nothing of this call was stored. Free some space and retry.`, { cause });
  }
  return new InternalError(`${context}: ${message}`, { cause: err });
}

/** Whether `err` (or an error it wraps) is a "no space left" error of SQLite or the OS. */
export function isStorageFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
  }
  return false;
}
