import { MAX_FAULT_DELAY_MS, normalizeAddress } from "@mailnest/protocol";
import type { FaultRule } from "./fault-rule.js";
import type { FaultOccasion } from "./match-fault.js";

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
 */
export class BehaviorState {
  readonly #now: () => number;
  readonly #triples = new Map<string, Map<string, Triple>>();
  readonly #rates = new Map<string, Map<string, number[]>>();
  /** `${ruleId} ${connectionId}` → replies delayed so far. */
  readonly #tarpits = new Map<string, number>();
  /** connection id → client address. */
  readonly #connections = new Map<string, string>();
  /** client address → open connections. */
  readonly #clients = new Map<string, number>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
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

  /** Drops what a removed rule remembered. */
  forget(ruleId: string): void {
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
  decide(rule: FaultRule, occasion: FaultOccasion, roll: () => boolean): Verdict {
    switch (rule.behavior) {
      case "greylist":
        return this.#greylist(rule, occasion, roll);
      case "rate-limit":
        return this.#rateLimit(rule, occasion, roll);
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
    const { envelope } = occasion;
    const sender = envelope.mailFrom ? normalizeAddress(envelope.mailFrom) : "";
    const recipient = envelope.recipient === null ? "" : normalizeAddress(envelope.recipient);
    const key = `${envelope.remoteAddress}\n${sender}\n${recipient}`;
    const triples = bounded(this.#triples, rule.id);
    const now = this.#now();
    const seen = triples.get(key);
    if (seen === undefined) {
      const greylisted = roll();
      remember(triples, key, { firstSeenAt: now, passed: !greylisted }, MAX_TRIPLES_PER_RULE);
      return greylisted ? refusal(rule) : { fires: false };
    }
    if (seen.passed) return { fires: false };
    const waited = now - seen.firstSeenAt;
    const required = rule.delayMs ?? 0;
    if (waited >= required) {
      seen.passed = true;
      return {
        fires: false,
        note: {
          code: 250,
          message: `Greylisting passed: retried ${waited} ms after the first attempt (${required} ms required)`,
        },
      };
    }
    return refusal(rule, ` [retried after ${waited} ms of ${required} ms]`);
  }

  /** A sliding window of the last `limit` transactions (MAIL FROM) per sender, connection or client. */
  #rateLimit(rule: FaultRule, occasion: FaultOccasion, roll: () => boolean): Verdict {
    const { envelope } = occasion;
    const key =
      rule.per === "connection"
        ? `connection ${connectionKey(occasion)}`
        : rule.per === "client"
          ? `client ${envelope.remoteAddress}`
          : `sender ${envelope.mailFrom ? normalizeAddress(envelope.mailFrom) : ""}`;
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

/** The reply a refusing rule sends: its status code (when it has one) in front of its text. */
export function replyText(rule: Pick<FaultRule, "status" | "message">): string {
  return rule.status === null ? rule.message : `${rule.status} ${rule.message}`;
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
