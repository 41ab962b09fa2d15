import { apiPaths, type ServerClock } from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";

/** Round trips per measurement; the fastest one bounds the error. */
const SAMPLES = 8;
/** On a busy machine, keep asking (up to `MAX_SAMPLES`) until one round trip is this fast. */
const GOOD_ROUND_TRIP_MS = 1;
const MAX_SAMPLES = 32;
/** A measurement this old is taken again before it is used (a busy moment may have spoiled it). */
const REFRESH_AFTER_MS = 15_000;
/** Samples stay candidates this long: clocks drift by microseconds per minute, not more. */
const KEEP_SAMPLES_MS = 120_000;

/** This process's clock, in the same units as the server's (`performance.timeOrigin + performance.now()`). */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The difference between the server's clock and this process's, measured the NTP way: ask for the
 * server's time a few times and keep the answer from the fastest round trip, whose midpoint is the
 * best estimate of when the server read its clock. The error is at most half that round trip
 * (tens of microseconds on one machine), which is what separates "before the call" from "after"
 * in `inbox.nextMessage()`.
 */
export class ServerClockOffset {
  readonly #http: HttpClient;
  /** The sample with the fastest round trip among recent measurements: the best estimate so far. */
  #best: { offset: number; roundTrip: number; at: number } | null = null;
  #measuredAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<number> | null = null;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Milliseconds to add to `localNow()` to read the server's clock. */
  offset(signal?: AbortSignal): Promise<number> {
    if (this.#best !== null && localNow() - this.#measuredAt < REFRESH_AFTER_MS) {
      return Promise.resolve(this.#best.offset);
    }
    this.#pending ??= this.#measure(signal).finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #measure(signal: AbortSignal | undefined): Promise<number> {
    const now = localNow();
    // A sample from a calm moment beats a fresh one from a busy moment, for a while.
    if (this.#best !== null && now - this.#best.at > KEEP_SAMPLES_MS) this.#best = null;
    for (
      let sample = 0;
      sample < SAMPLES || (sample < MAX_SAMPLES && (this.#best?.roundTrip ?? Infinity) > GOOD_ROUND_TRIP_MS);
      sample++
    ) {
      const sent = localNow();
      const { now: serverNow } = await this.#http.json<ServerClock>(
        "GET",
        apiPaths.clock(),
        signal ? { signal } : {},
      );
      const received = localNow();
      const roundTrip = received - sent;
      if (this.#best === null || roundTrip < this.#best.roundTrip) {
        this.#best = { offset: serverNow - (sent + received) / 2, roundTrip, at: received };
      }
    }
    this.#measuredAt = localNow();
    return this.#best?.offset ?? 0;
  }
}
