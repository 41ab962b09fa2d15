import type { RawFingerprint } from "@mailnest/protocol";

/**
 * Typed store failures. The SMTP layer maps them to replies (`MessageTooLargeError` → 552,
 * `StorageFailedError` → 451, `IngestAbortedError` → nothing to answer, the client is gone); the API
 * maps `InvalidCursorError` to 400.
 */
export class StoreError extends Error {
  override name = "StoreError";
}

/** More than `maxSize` bytes arrived. The rest of the DATA was consumed and discarded; nothing is kept. */
export class MessageTooLargeError extends StoreError {
  override name = "MessageTooLargeError" as const;
  readonly receivedBytes: number;
  readonly maxSize: number;

  constructor(receivedBytes: number, maxSize: number) {
    super(`Message of ${receivedBytes} bytes exceeds the limit of ${maxSize} bytes`);
    this.receivedBytes = receivedBytes;
    this.maxSize = maxSize;
  }
}

/** The disk refused (full, permissions, I/O error). Nothing is kept; the client should retry later. */
export class StorageFailedError extends StoreError {
  override name = "StorageFailedError" as const;
  /**
   * The storage could not be reached at all (a PostgreSQL server down, restarting, refusing
   * connections), as opposed to refusing this operation: the API answers `503 storage_unavailable`
   * instead of 500. SMTP answers 451 either way.
   */
  readonly unavailable: boolean;

  constructor(operation: string, cause: unknown, options: { unavailable?: boolean } = {}) {
    super(
      `Storage ${options.unavailable ? "unavailable" : "failed"} while ${operation}: ${describe(cause)}`,
      { cause },
    );
    this.unavailable = options.unavailable ?? false;
  }
}

/** The raw stream errored or was destroyed before it ended (the client vanished mid-DATA). Nothing is kept. */
export class IngestAbortedError extends StoreError {
  override name = "IngestAbortedError" as const;

  constructor(cause: unknown) {
    super(`The message stream ended early: ${describe(cause)}`, { cause });
  }
}

/** Another running Mailnest holds the data directory (its lock file names a live process). */
export class DataDirInUseError extends StoreError {
  override name = "DataDirInUseError" as const;
  readonly dataDir: string;
  readonly pid: number | null;

  constructor(dataDir: string, pid: number | null) {
    const holder = pid === null ? "another Mailnest" : `another Mailnest (pid ${pid})`;
    super(
      `The data directory ${JSON.stringify(dataDir)} is in use by ${holder}; stop it, or choose another --data-dir`,
    );
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

export function isDataDirInUseError(error: unknown): error is DataDirInUseError {
  return error instanceof DataDirInUseError;
}

/** A `cursor` that no page of this store handed out. */
export class InvalidCursorError extends StoreError {
  override name = "InvalidCursorError" as const;

  constructor(cursor: string) {
    super(`Invalid cursor ${JSON.stringify(cursor)}: expected a cursor from a previous page's nextCursor`);
  }
}

/**
 * The stored `.eml` of a message no longer matches the size and sha256 recorded when it was received
 * (truncated, edited, lost): serving it would pass damaged mail off as what arrived.
 */
export class MessageDamagedError extends StoreError {
  override name = "MessageDamagedError" as const;

  constructor(
    readonly id: string,
    readonly expected: { size: number; sha256: string },
    readonly found: RawFingerprint,
  ) {
    super(`Message ${id} is damaged: ${describeDamage(expected, found)}`);
  }
}

function describeDamage(expected: { size: number; sha256: string }, found: RawFingerprint): string {
  const recorded = `recorded ${expected.size} bytes with sha256 ${expected.sha256}`;
  if (found.size === null) return `${recorded}, but its raw file is missing`;
  if (found.size !== expected.size) return `${recorded}, found ${found.size} bytes`;
  return `${recorded}, found ${found.size} bytes with sha256 ${found.sha256 ?? "(not computed)"}`;
}

export function isMessageDamagedError(error: unknown): error is MessageDamagedError {
  return error instanceof MessageDamagedError;
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

export function isMessageTooLargeError(error: unknown): error is MessageTooLargeError {
  return error instanceof MessageTooLargeError;
}

export function isStorageFailedError(error: unknown): error is StorageFailedError {
  return error instanceof StorageFailedError;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
