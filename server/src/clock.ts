/**
 * The server's clock: milliseconds since the epoch with sub-millisecond precision. One source for
 * a message's `receivedTime` and for `GET /api/clock`, so a client that measures its offset to
 * the second can compare its own instants with the first (`inbox.nextMessage()`, the `after`
 * filter). Injected, so a test can run a server whose clock is hours off.
 */
export type Clock = () => number;

/** `performance.timeOrigin + performance.now()`: wall-clock based, monotonic within the process. */
export const systemClock: Clock = () => performance.timeOrigin + performance.now();
