/**
 * HTTP errors: chromalite's typed errors mapped to Chroma's status codes and `{error, message}` bodies.
 * Chroma's Rust server names the error after its status: 400 → InvalidArgumentError, 404 →
 * NotFoundError, 500 → InternalError, anything else (403, 409, 415, 422, 501, ...) → ChromaError.
 */
import { ChromaLiteError, isStorageFull, wrapError, type ErrorCode } from "../errors.js";

/** An error that already knows its HTTP status and Chroma error name. */
export class HttpError extends Error {
  readonly status: number;
  readonly errorName: string;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, message: string, errorName = chromaErrorName(status), headers?: Record<string, string>) {
    super(message);
    this.status = status;
    this.errorName = errorName;
    this.headers = headers;
  }
}
Object.defineProperty(HttpError.prototype, "name", { value: "HttpError", writable: true, configurable: true });

/** The `error` field Chroma sends for a status. */
export function chromaErrorName(status: number): string {
  switch (status) {
    case 400:
      return "InvalidArgumentError";
    case 404:
      return "NotFoundError";
    case 500:
      return "InternalError";
    default:
      return "ChromaError";
  }
}

/** 422, worded like the serde errors Chroma's server answers for a body of the wrong shape. */
export function payloadError(path: string, reason: string): HttpError {
  return new HttpError(
    422,
    `Failed to deserialize the JSON body into the target type: ${path ? `${path}: ` : ""}${reason}`,
  );
}

/** The HTTP status of each error code: Chroma's where it has one. */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_COLLECTION: 400,
  NOT_FOUND: 404,
  UNIQUE_CONSTRAINT: 409,
  RESET_DISABLED: 403,
  // A server started with --read-only refuses writes, as reset is refused when disabled.
  READ_ONLY: 403,
  // The request's own signal: the client went away (nginx's "client closed request").
  ABORTED: 499,
  TIMEOUT: 504,
  // The engine is closed only while the server shuts down: "try again elsewhere/later".
  CLOSED: 503,
  // Cannot happen once the server is up (the folder lock is taken at start), but never send 423.
  LOCKED: 500,
  CORRUPTION: 500,
  NOT_IMPLEMENTED: 501,
  // The operator must act (restart on the folder; free disk space): said in the message.
  FOLDER_GONE: 500,
  STORAGE_FULL: 507,
  INTERNAL: 500,
};

export interface ErrorReply {
  status: number;
  body: { error: string; message: string };
  headers?: Record<string, string> | undefined;
  /** True for failures the operator should see (bugs, corruption), not client mistakes. */
  unexpected: boolean;
}

/** Turns anything thrown by a handler into the reply Chroma would send. */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: { error: err.errorName, message: err.message },
      headers: err.headers,
      unexpected: err.status >= 500 && err.status !== 501 && err.status !== 503,
    };
  }
  if (err instanceof ChromaLiteError) {
    const status = HTTP_STATUS[err.code];
    return {
      status,
      body: { error: chromaErrorName(status), message: err.message },
      unexpected: ["INTERNAL", "CORRUPTION", "LOCKED", "FOLDER_GONE", "STORAGE_FULL"].includes(err.code),
    };
  }
  if (isStorageFull(err)) return toErrorReply(wrapError(err, "request"));
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: { error: "InternalError", message }, unexpected: true };
}
