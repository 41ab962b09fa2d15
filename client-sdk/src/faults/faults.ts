import {
  apiPaths,
  type DeletedCount,
  type FaultLog,
  type FaultRuleList,
  type FaultRuleRequest,
} from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";
import { describeValue } from "../util/describe.js";
import { validateFaultOptions } from "./fault-options.js";
import {
  type ChaosOptions,
  type FaultRule,
  type FaultRuleOptions,
  type GreylistOptions,
  type InboxFaultOptions,
  type InjectedFault,
  type RateLimitOptions,
  toFaultRule,
  toInjectedFault,
  type WireFaultRule,
} from "./fault-types.js";
import { greylistRule, rateLimitRule, wholeNumber } from "./receiving-side.js";

/**
 * Programmable SMTP answers (`mail.faults`): make the server refuse mail at a chosen stage so a
 * test can watch the app retry a 4xx or give up on a 5xx, then check what was injected.
 * @example
 * await mail.faults.add({ stage: "rcpt", code: 451, inbox: "ops@example.test", times: 2 });
 * // …the app sends, retries…
 * expect(await mail.faults.log({ inbox: "ops@example.test" })).toHaveLength(2);
 */
export class Faults {
  readonly #http: HttpClient;

  /** @internal Made by `Mailnest`. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Adds a rule. Without `times` and `probability` it fires once. */
  async add(options: FaultRuleOptions): Promise<FaultRule> {
    const body: FaultRuleRequest = validateFaultOptions(options, "fault", true);
    return toFaultRule(await this.#http.json<WireFaultRule>("POST", apiPaths.faults(), { body }));
  }

  /**
   * Soak-testing: every transaction meets `code` at `stage` with `probability`, until removed or
   * cleared. The same as the server's `--chaos stage:code:probability`.
   */
  chaos(options: ChaosOptions): Promise<FaultRule> {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Expected chaos options such as { stage: "rcpt", code: 451, probability: 0.1 }; got ${describeValue(options)}`,
      );
    }
    if (typeof options.probability !== "number") {
      throw new TypeError(
        `Expected chaos probability to be a number from 0 to 1; got ${describeValue(options.probability)}`,
      );
    }
    return this.add(options);
  }

  /**
   * Greylisting (RFC 6647) for every recipient: the first attempt of each (client, sender,
   * recipient) triple gets `451 4.7.1`; a retry `delay` ms later or more is accepted.
   */
  async greylist(options: GreylistOptions): Promise<FaultRule> {
    return this.add(greylistRule(options, "greylist"));
  }

  /** More than `max` messages per `window` ms (per sender, connection or client) get `421 4.7.0`. */
  async rateLimit(options: RateLimitOptions): Promise<FaultRule> {
    return this.add(rateLimitRule(options, "rateLimit"));
  }

  /** More than `max` parallel connections from one client get `421 4.7.0` instead of the greeting. */
  async connectionLimit(options: { max: number }): Promise<FaultRule> {
    return this.add({
      behavior: "connection-limit",
      limit: wholeNumber(options?.max, "connectionLimit max"),
    });
  }

  /** The reply at `stage` comes `delay` ms late (test the app's timeouts). */
  async slow(options: {
    stage: "connect" | "mail" | "rcpt" | "data";
    delay: number;
    inbox?: string;
  }): Promise<FaultRule> {
    const { stage, delay, inbox } = options ?? {};
    return this.add({
      behavior: "slow",
      stage,
      delayMs: wholeNumber(delay, "slow delay"),
      ...(inbox === undefined ? {} : { inbox }),
    });
  }

  /** Each reply at `stage` (default RCPT) in a connection comes `delay` ms later than the one before. */
  async tarpit(options: { delay: number; stage?: "mail" | "rcpt" | "data" }): Promise<FaultRule> {
    const { delay, stage } = options ?? {};
    return this.add({
      behavior: "tarpit",
      delayMs: wholeNumber(delay, "tarpit delay"),
      ...(stage ? { stage } : {}),
    });
  }

  /** Recipients matching `pattern` (`*` any characters, `?` one) get `550 5.1.1`, e.g. "old-*@app.test". */
  async unknownUsers(pattern: string): Promise<FaultRule> {
    if (typeof pattern !== "string" || pattern === "") {
      throw new TypeError(
        `Expected an address pattern such as "old-*@app.test"; got ${describeValue(pattern)}`,
      );
    }
    return this.add({ behavior: "unknown-user", pattern });
  }

  /** Active rules, in the order the server tries them, with their remaining counts. */
  async list(): Promise<FaultRule[]> {
    const { rules } = await this.#http.json<FaultRuleList>("GET", apiPaths.faults());
    return rules.map(toFaultRule);
  }

  /** Removes one rule; false when it was already used up or removed. */
  async remove(id: string): Promise<boolean> {
    if (typeof id !== "string" || id === "")
      throw new TypeError(`Expected a fault rule id; got ${describeValue(id)}`);
    const { status } = await this.#http.jsonAccepting("DELETE", apiPaths.fault(id), [404]);
    return status === 204;
  }

  /** Removes every rule. Returns how many. */
  async clear(): Promise<number> {
    return (await this.#http.json<DeletedCount>("DELETE", apiPaths.faults())).deleted;
  }

  /** Injected faults, oldest first; with `inbox`, only those that concerned it. */
  async log(filter: { inbox?: string } = {}): Promise<InjectedFault[]> {
    const { entries } = await this.#http.json<FaultLog>("GET", apiPaths.faultLog(), {
      query: { inbox: filter.inbox },
    });
    return entries.map(toInjectedFault);
  }

  /** Empties the fault log. Returns how many entries it held. */
  async clearLog(): Promise<number> {
    return (await this.#http.json<DeletedCount>("DELETE", apiPaths.faultLog())).deleted;
  }
}

/** `inbox.failNext()`: a rule for one inbox. */
export async function failInbox(
  http: HttpClient,
  address: string,
  options: InboxFaultOptions,
): Promise<FaultRule> {
  const body: FaultRuleRequest = validateFaultOptions(options, "failNext", false);
  return toFaultRule(await http.json<WireFaultRule>("POST", apiPaths.inboxFaults(address), { body }));
}

/** `inbox.faults()`: the faults injected into one inbox's mail. */
export async function inboxFaults(http: HttpClient, address: string): Promise<InjectedFault[]> {
  const { entries } = await http.json<FaultLog>("GET", apiPaths.inboxFaults(address));
  return entries.map(toInjectedFault);
}

/** `inbox.greylist()`, `inbox.mailboxFull()`, `inbox.unknownUser()`, `inbox.blackhole()`: a behaviour for one inbox. */
export async function inboxBehavior(
  http: HttpClient,
  address: string,
  rule: Omit<FaultRuleOptions, "inbox">,
): Promise<FaultRule> {
  const body: FaultRuleRequest = validateFaultOptions(rule, rule.behavior ?? "fault", false);
  return toFaultRule(await http.json<WireFaultRule>("POST", apiPaths.inboxFaults(address), { body }));
}
