import { MAX_FAULT_DELAY_MS, normalizeAddress } from "@mailnest/protocol";
import type { FaultRule } from "./fault-rule.js";
import type { FaultOccasion } from "./match-fault.js";
import type { GreylistSighting, SharedFaultMemory } from "./shared-fault-memory.js";

/** What the SMTP listener does about a fault that struck. */
export type FaultEffect =
  /** Answer this instead of going on (a 421 also closes the connection). */
  | { kind: "reply"; code: number; text: string }
  /** Close the connection without a reply. */
  | { kind: "drop" }
  /** Go on normally, `ms` later. */
  | { kind: "delay"; ms: number }
  /** Answer 250 to the message and keep nothing of it. */
  | { kind: "blackhole" };

/** What one rule comes to at one occasion. */
export type Verdict =
  | { fires: false }
  /** Not a fault, but worth a log entry (a greylisted triple whose retry came late enough). */
  | { fires: false; note: { code: number; message: string } }
  | { fires: true; effect: FaultEffect; logged: { code: number | null; message: string } };

/** Greylisted triples remembered per rule; the oldest are forgotten beyond this. */
const MAX_TRIPLES_PER_RULE = 10_000;
/** Senders, connections or clients counted per rate-limit rule; the oldest are forgotten beyond this. */
const MAX_RATE_KEYS_PER_RULE = 10_000;

interface Triple {
  /** ms; when the triple was first refused. */
  firstSeenAt: number;
  /** Let through from now on (retried late enough, or spared by the rule's probability). */
  passed: boolean;
}

/**
 * The memory of the stateful behaviours: greylisted triples, rate windows, tarpit counts and the
 * connections open per client. In memory only: after a restart greylisting starts over, as it does
 * on a real server that lost its database. Every map is bounded.
 *
 * With `shared` memory (several instances on PostgreSQL), greylisted triples and the rate windows
 * per sender or client are kept there instead, and their verdicts are promises; what is tied to a
 * connection (its rate window, tarpit, open connections) stays here, where the connection is.
 */
export class BehaviorState {
  readonly #now: () => number;
  readonly #shared: SharedFaultMemory | null;
  readonly #triples = new Map<string, Map<string, Triple>>();
  readonly #rates = new Map<string, Map<string, number[]>>();
  /** `${ruleId} ${connectionId}` → replies delayed so far. */
  readonly #tarpits = new Map<string, number>();
  /** connection id → client address. */
  readonly #connections = new Map<string, string>();
  /** client address → open connections. */
  readonly #clients = new Map<string, number>();

  constructor(now: () => number = Date.now, shared: SharedFaultMemory | null = null) {
    this.#now = now;
    this.#shared = shared;
  }

  /** Called by the SMTP listener for each new connection, before the `connect` stage. */
  opened(connectionId: string, remoteAddress: string): void {
    if (this.#connections.has(connectionId)) return;
    this.#connections.set(connectionId, remoteAddress);
    this.#clients.set(remoteAddress, (this.#clients.get(remoteAddress) ?? 0) + 1);
  }

  /** Called when a connection is gone: its counts go with it. */
  closed(connectionId: string): void {
    const remoteAddress = this.#connections.get(connectionId);
    if (remoteAddress === undefined) return;
    this.#connections.delete(connectionId);
    const left = (this.#clients.get(remoteAddress) ?? 1) - 1;
    if (left <= 0) this.#clients.delete(remoteAddress);
    else this.#clients.set(remoteAddress, left);
    for (const key of this.#tarpits.keys()) {
      if (key.endsWith(` ${connectionId}`)) this.#tarpits.delete(key);
    }
    for (const windows of this.#rates.values()) windows.delete(`connection ${connectionId}`);
  }

  /** Connections open from this client address right now. */
  openConnections(remoteAddress: string): number {
    return this.#clients.get(remoteAddress) ?? 0;
  }

  /**
   * Drops what a removed rule remembered; with `shared`, in the shared memory too (for an API
   * rule, which is gone for every instance; a flag's rule lives on in the other instances).
   */
  forget(ruleId: string, shared = false): void {
    if (shared) this.#shared?.forget(ruleId);
    this.#triples.delete(ruleId);
    this.#rates.delete(ruleId);
    for (const key of this.#tarpits.keys()) {
      if (key.startsWith(`${ruleId} `)) this.#tarpits.delete(key);
    }
  }

  /**
   * Whether `rule` (already known to match the occasion) strikes. `roll` rolls the rule's
   * probability; each behaviour rolls only when it would strike (greylisting once per triple).
   */
  decide(rule: FaultRule, occasion: FaultOccasion, roll: () => boolean): Verdict | Promise<Verdict> {
    switch (rule.behavior) {
      case "greylist":
        return this.#shared
          ? this.#greylistShared(this.#shared, rule, occasion, roll)
          : this.#greylist(rule, occasion, roll);
      case "rate-limit":
        return this.#shared && rule.per !== "connection"
          ? this.#rateLimitShared(this.#shared, rule, occasion, roll)
          : this.#rateLimit(rule, occasion, roll);
      case "connection-limit": {
        const open = this.openConnections(occasion.envelope.remoteAddress);
        return open > (rule.limit ?? Number.POSITIVE_INFINITY) && roll() ? refusal(rule) : { fires: false };
      }
      case "slow":
        return roll() ? delay(rule.delayMs ?? 0) : { fires: false };
      case "tarpit": {
        if (!roll()) return { fires: false };
        const key = `${rule.id} ${connectionKey(occasion)}`;
        const count = (this.#tarpits.get(key) ?? 0) + 1;
        this.#tarpits.set(key, count);
        return delay(Math.min(count * (rule.delayMs ?? 0), MAX_FAULT_DELAY_MS));
      }
      case "blackhole":
        return roll()
          ? {
              fires: true,
              effect: { kind: "blackhole" },
              logged: { code: 250, message: "Accepted with 250 and dropped: not stored" },
            }
          : { fires: false };
      case "reply":
      case "mailbox-full":
      case "unknown-user":
        return roll() ? refusal(rule) : { fires: false };
    }
  }

  /**
   * RFC 6647 section 2.2: the first attempt of a (client IP, sender, recipient) triple is refused; a
   * retry at least `delayMs` later is accepted and the triple is let through from then on; one that
   * comes too early is refused again, the wait still counted from the first attempt.
   */
  #greylist(rule: FaultRule, occasion: FaultOccasion, roll: () => boolean): Verdict {
    const key = tripleKey(occasion);
    const triples = bounded(this.#triples, rule.id);
    const now = this.#now();
    const seen = triples.get(key);
    if (seen === undefined) {
      const greylisted = roll();
      remember(triples, key, { firstSeenAt: now, passed: !greylisted }, MAX_TRIPLES_PER_RULE);
      return greylistVerdict(rule, { kind: "first", greylisted });
    }
    if (seen.passed) return greylistVerdict(rule, { kind: "passed" });
    const waitedMs = now - seen.firstSeenAt;
    const passedNow = waitedMs >= (rule.delayMs ?? 0);
    if (passedNow) seen.passed = true;
    return greylistVerdict(rule, { kind: "retried", waitedMs, passedNow });
  }

  /** `#greylist` against the shared memory. The probability is rolled at each attempt, and used for a first sighting only. */
  async #greylistShared(
    shared: SharedFaultMemory,
    rule: FaultRule,
    occasion: FaultOccasion,
    roll: () => boolean,
  ): Promise<Verdict> {
    const sighting = await shared.greylist(
      ruleKey(rule),
      tripleKey(occasion),
      this.#now(),
      rule.delayMs ?? 0,
      roll(),
    );
    return greylistVerdict(rule, sighting);
  }

  /** `#rateLimit` against the shared memory (per sender or client; per connection stays here). */
  async #rateLimitShared(
    shared: SharedFaultMemory,
    rule: FaultRule,
    occasion: FaultOccasion,
    roll: () => boolean,
  ): Promise<Verdict> {
    const refused = await shared.rate(
      ruleKey(rule),
      rateKey(rule, occasion),
      this.#now(),
      rule.windowMs ?? 0,
      rule.limit ?? Number.POSITIVE_INFINITY,
      roll(),
    );
    return refused ? refusal(rule) : { fires: false };
  }

  /** A sliding window of the last `limit` transactions (MAIL FROM) per sender, connection or client. */
  #rateLimit(rule: FaultRule, occasion: FaultOccasion, roll: () => boolean): Verdict {
    const key = rateKey(rule, occasion);
    const windows = bounded(this.#rates, rule.id);
    const now = this.#now();
    const since = now - (rule.windowMs ?? 0);
    const recent = (windows.get(key) ?? []).filter((at) => at > since);
    const limit = rule.limit ?? Number.POSITIVE_INFINITY;
    if (recent.length >= limit && roll()) {
      windows.set(key, recent);
      return refusal(rule);
    }
    recent.push(now);
    // Only the newest `limit` times can decide the next answer.
    if (recent.length > limit) recent.splice(0, recent.length - limit);
    remember(windows, key, recent, MAX_RATE_KEYS_PER_RULE);
    return { fires: false };
  }
}

/**
 * RFC 6647 section 2.2: the first attempt of a (client IP, sender, recipient) triple is refused; a
 * retry at least `delayMs` later is accepted and the triple is let through from then on; one that
 * comes too early is refused again, the wait still counted from the first attempt.
 */
function greylistVerdict(rule: FaultRule, sighting: GreylistSighting): Verdict {
  switch (sighting.kind) {
    case "first":
      return sighting.greylisted ? refusal(rule) : { fires: false };
    case "passed":
      return { fires: false };
    case "retried": {
      const required = rule.delayMs ?? 0;
      if (!sighting.passedNow)
        return refusal(rule, ` [retried after ${sighting.waitedMs} ms of ${required} ms]`);
      return {
        fires: false,
        note: {
          code: 250,
          message: `Greylisting passed: retried ${sighting.waitedMs} ms after the first attempt (${required} ms required)`,
        },
      };
    }
  }
}

function tripleKey(occasion: FaultOccasion): string {
  const { envelope } = occasion;
  const sender = envelope.mailFrom ? normalizeAddress(envelope.mailFrom) : "";
  const recipient = envelope.recipient === null ? "" : normalizeAddress(envelope.recipient);
  return `${envelope.remoteAddress}\n${sender}\n${recipient}`;
}

function rateKey(rule: FaultRule, occasion: FaultOccasion): string {
  const { envelope } = occasion;
  return rule.per === "connection"
    ? `connection ${connectionKey(occasion)}`
    : rule.per === "client"
      ? `client ${envelope.remoteAddress}`
      : `sender ${envelope.mailFrom ? normalizeAddress(envelope.mailFrom) : ""}`;
}

/**
 * A rule's name in the shared memory: an API rule's id (one rule for every instance); for a rule
 * from a flag, which each instance makes with its own id, what it does, so that every instance's
 * `--greylist 5m` shares one memory.
 */
export function ruleKey(rule: FaultRule): string {
  if (rule.origin === "api") return rule.id;
  // Not its message (which names the id) or reply: they do not change what is remembered.
  const { behavior, stage, delayMs, limit, windowMs, per, pattern, inbox, from } = rule;
  return `cli ${JSON.stringify([behavior, stage, delayMs, limit, windowMs, per, pattern, inbox, from])}`;
}

/** The reply a refusing rule sends: its status code (when it has one) in front of its text. */
export function replyText(rule: Pick<FaultRule, "status" | "message">): string {
  // A text that starts with its own status (`"4.7.1 Greylisted"`) is that status's already.
  if (rule.status === null || rule.message.startsWith(`${rule.status} `)) return rule.message;
  return `${rule.status} ${rule.message}`;
}

function refusal(rule: FaultRule, logSuffix = ""): Verdict {
  if (rule.code === null) {
    return { fires: true, effect: { kind: "drop" }, logged: { code: null, message: rule.message } };
  }
  return {
    fires: true,
    effect: { kind: "reply", code: rule.code, text: replyText(rule) },
    logged: { code: rule.code, message: `${rule.message}${logSuffix}` },
  };
}

function delay(ms: number): Verdict {
  return {
    fires: true,
    effect: { kind: "delay", ms },
    logged: { code: null, message: `Reply delayed by ${ms} ms` },
  };
}

function connectionKey(occasion: FaultOccasion): string {
  return occasion.connectionId ?? occasion.envelope.remoteAddress;
}

function bounded<V>(byRule: Map<string, Map<string, V>>, ruleId: string): Map<string, V> {
  let map = byRule.get(ruleId);
  if (map === undefined) {
    map = new Map();
    byRule.set(ruleId, map);
  }
  return map;
}

/** Sets `key` as the newest entry; the oldest goes when there are more than `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
