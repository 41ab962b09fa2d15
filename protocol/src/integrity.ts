import type { ErrorObject } from "./errors.js";

/** What was recorded of a message's raw bytes when it arrived, or what is stored now. */
export interface RawFingerprint {
  /** Bytes; null when the raw file is missing. */
  size: number | null;
  /** Hex; null when not computed (the size already differed) or the file is missing. */
  sha256: string | null;
}

/** One message whose stored bytes differ from what was recorded when it arrived. */
export interface DamagedMessage {
  id: string;
  /** For people: what was recorded and what was found. */
  message: string;
  expected: { size: number; sha256: string };
  found: RawFingerprint;
}

/** `POST /api/check`: every stored message read back and compared with its recorded size and sha256. */
export interface IntegrityReport {
  /**
   * Messages read and compared.
   * @minimum 0
   */
  checked: number;
  /** The damaged ones, oldest first. */
  damaged: DamagedMessage[];
}

/** The `error` object of a 500 `message_damaged` (a raw message or attachment that no longer matches). */
export interface MessageDamagedErrorObject extends ErrorObject {
  code: "message_damaged";
  id: string;
  expected: { size: number; sha256: string };
  found: RawFingerprint;
}
