/**
 * What greylisting and rate limits remember, kept outside this process and shared by every instance
 * of a sandbox (PostgreSQL: `store/postgres/fault-memory.ts`, docs/scaling.md "Fault rules"), so a
 * client whose retry reaches another instance behind a load balancer is treated as by one server.
 * Rules are named by `ruleKey` (`fault-behaviors.ts`): the id of an API rule, the contents of a
 * flag's rule (each instance's `--greylist` has its own id but the same contents).
 */

/** What a greylisting server knows of a (client, sender, recipient) triple at this attempt. */
export type GreylistSighting =
  /** Never seen: remembered now, greylisted or spared as the caller rolled. */
  | { kind: "first"; greylisted: boolean }
  /** Let through earlier (retried late enough, or spared): let through again. */
  | { kind: "passed" }
  /** Seen and refused before: `passedNow` when this retry came at least the delay later. */
  | { kind: "retried"; waitedMs: number; passedNow: boolean };

export interface SharedFaultMemory {
  /** Looks the triple up and records this attempt, atomically across instances. */
  greylist(
    ruleKey: string,
    triple: string,
    now: number,
    delayMs: number,
    greylistIfFirst: boolean,
  ): Promise<GreylistSighting>;
  /**
   * Counts a transaction in a sliding window of `windowMs` for `key`, atomically across instances.
   * True (refused, not counted) when `limit` were already counted in the window and
   * `refuseIfOver`; otherwise counted, false.
   */
  rate(
    ruleKey: string,
    key: string,
    now: number,
    windowMs: number,
    limit: number,
    refuseIfOver: boolean,
  ): Promise<boolean>;
  /** Drops what a deleted rule remembered (in the background). */
  forget(ruleKey: string): void;
}
