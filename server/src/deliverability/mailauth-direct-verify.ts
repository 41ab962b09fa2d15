import type { MailauthDkimVerification, MailauthResolver } from "./mailauth-types.js";

/** mailauth 4.13's DKIM verifier (lib/dkim/dkim-verifier.js) as far as this module drives it. */
export interface DkimVerifierInstance {
  writeAsync(chunk: Buffer): Promise<void>;
  finish(): Promise<void>;
  headerFrom: string[];
  envelopeFrom: string | false;
  results: MailauthDkimVerification["results"];
  headers?: unknown;
  arc?: unknown;
  seal?: unknown;
}

export type DkimVerifierClass = new (options: {
  resolver: MailauthResolver;
  minBitLength?: number;
}) => DkimVerifierInstance;

/** Upstream's chunk size (`writeToStream` in lib/tools.js). */
const CHUNK_BYTES = 64 * 1024;

/**
 * mailauth's `dkimVerify` (lib/dkim/verify.js) without the stream in between. Upstream writes the
 * message into its verifier, a `Writable`, in 64 KiB chunks one `setImmediate` apart; the verifier's
 * `_write` calls `writeAsync` for each chunk and its `_final` calls `finish`. For a 2 KB signed
 * message the stream's own machinery (its write queue, callbacks and events) was about a third of
 * the DKIM check's CPU: 0.17 against 0.115 ms a message, warm (docs/performance.md, 4 December).
 * This calls the same two methods on the same chunks, in the same order, still yielding to the event
 * loop between chunks (so a 25 MB message verified on the event loop does not hold it), and returns
 * the same result object; the test beside it compares both on the same messages.
 */
export async function verifyDkimDirectly(
  Verifier: DkimVerifierClass,
  input: Buffer,
  options: { resolver: MailauthResolver; minBitLength?: number },
): Promise<MailauthDkimVerification> {
  const verifier = new Verifier(options);
  for (let at = 0; at < input.length; at += CHUNK_BYTES) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    await verifier.writeAsync(input.subarray(at, at + CHUNK_BYTES));
  }
  await verifier.finish();

  const result: MailauthDkimVerification = {
    headerFrom: verifier.headerFrom,
    envelopeFrom: verifier.envelopeFrom,
    results: verifier.results,
  };
  // As upstream: present only when set, and not enumerable (so a verdict's JSON never carries them).
  for (const key of ["headers", "arc", "seal"] as const) {
    if (verifier[key]) {
      Object.defineProperty(result, key, {
        enumerable: false,
        configurable: false,
        writable: false,
        value: verifier[key],
      });
    }
  }
  return result;
}
