import { apiPaths, type DeletedCount } from "@mailnest/protocol";
import type { FaultRule, GreylistOptions, InboxFaultOptions, InjectedFault } from "../faults/fault-types.js";
import { failInbox, inboxBehavior, inboxFaults } from "../faults/faults.js";
import { greylistRule } from "../faults/receiving-side.js";
import type { MessageFilter } from "../filter/message-filter.js";
import type { Message } from "../message/message.js";
import type {
  AutoReplyOptions,
  BounceOptions,
  ComplaintOptions,
  DelayOptions,
  ReportLogEntry,
  ReportRule,
} from "../reports/report-types.js";
import { inboxReports, reportInbox } from "../reports/reports.js";
import type { ExpectNoMessageOptions, WaitOptions } from "../wait/wait-options.js";
import { validateCount } from "../wait/wait-options.js";
import type { MailView } from "./mail-view.js";
import { localNow } from "./server-clock.js";

/**
 * A handle on one inbox, with a window that opens at its **baseline**: the server's head when the
 * handle was made (`createInbox`, `mail.inbox()`), or the `since` given. Messages at or before the
 * baseline are invisible to it; so are messages an earlier wait on this handle returned.
 *
 * | call | can return |
 * |---|---|
 * | `waitForMessage(f)` | the **oldest** matching message after the baseline not returned before (already there, or the next to come) |
 * | `waitForMessages(n, f)` | the `n` oldest such messages |
 * | `nextMessage(f)` | the first matching message after the handle's cursor **at the moment of the call** (arm, then act) |
 * | `expectNoMessage(f)` | nothing: fails if `waitForMessage(f)` would have found something within `within` |
 * | `messages(f)`, `latest(f)` | snapshots of everything after the baseline, returned or not |
 */
export class Inbox {
  readonly address: string;
  /** When the server deletes this inbox (a `ttl` given at creation), or null. */
  readonly expiresAt: Date | null;
  readonly #view: MailView;

  /** @internal Made by `Mailnest.createInbox` and `Mailnest.inbox`. */
  constructor(view: MailView, expiresAt: Date | null) {
    if (view.inbox === null) throw new TypeError("An Inbox needs an address");
    this.address = view.inbox;
    this.expiresAt = expiresAt;
    this.#view = view;
  }

  /**
   * The oldest message after the handle's baseline that matches and that no earlier wait on this
   * handle returned: one already there, or the next to arrive. Two calls in a row return two
   * different messages; a message skipped because it did not match stays available to later waits.
   * @example const welcome = await inbox.waitForMessage({ subject: /welcome/i });
   */
  async waitForMessage(filter?: MessageFilter, options?: WaitOptions): Promise<Message> {
    const [message] = await this.#view.wait(1, filter, options, this.#fromBaseline());
    return message!;
  }

  /** The `count` oldest such messages, oldest first; resolves when all have arrived. */
  async waitForMessages(count: number, filter?: MessageFilter, options?: WaitOptions): Promise<Message[]> {
    return this.#view.wait(validateCount(count), filter, options, this.#fromBaseline());
  }

  /**
   * Arms a wait **now** and returns its promise: it resolves with the first matching message that
   * arrives after this call, however soon (even before you `await` it). "After" is read from the
   * clock synchronously at the call and compared, on the server's clock, with when each message's
   * DATA ended: a message whose 250 your SMTP client saw before the call never counts, and one your
   * app sends after it is never missed (docs/sdk.md, "The guarantee of nextMessage()"). Messages
   * returned by earlier waits never count either.
   * @example
   * const next = inbox.nextMessage({ subject: /reset/i });
   * await page.getByRole("button", { name: "Send reset link" }).click();
   * const reset = await next;
   */
  nextMessage(filter?: MessageFilter, options?: WaitOptions): Promise<Message> {
    // Read the clock first and synchronously: "after the call" is this instant, however long the
    // wait's request then takes to reach the server.
    const calledAt = localNow();
    const since = this.#view.armCursor();
    const promise = this.#view
      .wait(1, filter, options, {
        since,
        calledAt,
        beforeSince: "arrived before nextMessage() was called",
      })
      .then(([message]) => message!);
    // Armed waits are awaited later; until then a rejection must not count as unhandled.
    promise.catch(() => {});
    return promise;
  }

  /**
   * Resolves after `within` ms (default 1000) if no message that `waitForMessage(filter)` could
   * return is there or arrives; rejects with `UnexpectedMessageError` as soon as one does.
   */
  expectNoMessage(filter?: MessageFilter, options?: ExpectNoMessageOptions): Promise<void> {
    return this.#view.expectNone(filter, options);
  }

  /** Every message after the baseline that matches, oldest first (including those waits returned). */
  messages(filter?: MessageFilter, options?: { signal?: AbortSignal }): Promise<Message[]> {
    return this.#view.list(filter, options);
  }

  /** The newest message after the baseline that matches, or null. Does not wait. */
  latest(filter?: MessageFilter, options?: { signal?: AbortSignal }): Promise<Message | null> {
    return this.#view.latest(filter, options);
  }

  /** Deletes the inbox's messages on the server (all of them, also those before the baseline). Returns how many. */
  async clear(): Promise<number> {
    const { deleted } = await this.#view.context.http.json<DeletedCount>(
      "DELETE",
      apiPaths.inboxMessages(this.address),
    );
    return deleted;
  }

  /** Deletes the inbox and its messages on the server. Mail that arrives later recreates it. */
  async delete(): Promise<void> {
    await this.#view.context.http.send("DELETE", apiPaths.inbox(this.address));
  }

  /**
   * Makes the server refuse this inbox's mail: the next `times` (default 1) transactions to it
   * get `code` at `stage`, then delivery resumes. Test how the app handles a 4xx (retry) or a 5xx
   * (give up), then check `inbox.faults()`.
   * @example await inbox.failNext({ stage: "rcpt", code: 451, message: "try again later", times: 2 });
   */
  failNext(options: InboxFaultOptions): Promise<FaultRule> {
    return failInbox(this.#view.context.http, this.address, options);
  }

  /** The faults injected into mail to this inbox, oldest first (all of them, not only since the baseline). */
  faults(): Promise<InjectedFault[]> {
    return inboxFaults(this.#view.context.http, this.address);
  }

  /**
   * Greylists this inbox (RFC 6647): each new (client, sender, this inbox) triple gets `451 4.7.1`,
   * and a retry at least `delay` ms later is accepted. Both attempts show in `inbox.faults()`.
   * @example await inbox.greylist({ delay: 2000 });
   */
  async greylist(options: GreylistOptions): Promise<FaultRule> {
    return inboxBehavior(this.#view.context.http, this.address, greylistRule(options, "greylist"));
  }

  /** The mailbox is full: `452 4.2.2` at RCPT, or `552 5.2.2` with `permanent`, until the rule is removed. */
  mailboxFull(options: { permanent?: boolean } = {}): Promise<FaultRule> {
    return inboxBehavior(this.#view.context.http, this.address, {
      behavior: "mailbox-full",
      ...(options.permanent ? { code: 552 } : {}),
    });
  }

  /** The address does not exist: `550 5.1.1` at RCPT, until the rule is removed. */
  unknownUser(): Promise<FaultRule> {
    return inboxBehavior(this.#view.context.http, this.address, { behavior: "unknown-user" });
  }

  /** Mail to this inbox is answered 250 and dropped: never stored, only listed in `inbox.faults()`. */
  blackhole(): Promise<FaultRule> {
    return inboxBehavior(this.#view.context.http, this.address, { behavior: "blackhole" });
  }

  /**
   * After the 250, the next message to this inbox bounces: a DSN (RFC 3464, `Action: failed`)
   * goes to its envelope sender, stored like any message (docs/after-acceptance.md).
   * @example
   * await inbox.bounceNext({ status: "5.1.1" });
   * await app.sendWelcome(inbox.address);
   * const dsn = await bounces.waitForMessage({ subject: /Undelivered/ });
   */
  bounceNext(options: BounceOptions = {}): Promise<ReportRule> {
    return reportInbox(this.#view.context.http, this.address, "bounce", options, "bounceNext");
  }

  /** A delay warning (`Action: delayed`) for the next message, and with `failAfter` a bounce after it. */
  delayNext(options: DelayOptions = {}): Promise<ReportRule> {
    return reportInbox(this.#view.context.http, this.address, "delay", options, "delayNext");
  }

  /** The recipient marks the next message as spam: an ARF complaint goes to the sender (or `reportTo`). */
  complainNext(options: ComplaintOptions = {}): Promise<ReportRule> {
    return reportInbox(this.#view.context.http, this.address, "complaint", options, "complainNext");
  }

  /**
   * The recipient is away: an out-of-office reply (RFC 3834) to every message from now on, or to
   * the next `times`. Never to the null sender or to automatic mail.
   */
  autoReply(options: AutoReplyOptions = {}): Promise<ReportRule> {
    const everyMessage = options.times === undefined && options.probability === undefined;
    return reportInbox(
      this.#view.context.http,
      this.address,
      "auto-reply",
      everyMessage ? { ...options, probability: 1 } : options,
      "autoReply",
    );
  }

  /** Reports about mail to this inbox or sent to it, made or skipped, oldest first. */
  reports(): Promise<ReportLogEntry[]> {
    return inboxReports(this.#view.context.http, this.address);
  }

  toString(): string {
    return this.address;
  }

  #fromBaseline(): { since: number; beforeSince: string } {
    return {
      since: this.#view.baseline,
      beforeSince: `arrived before this inbox handle was created (baseline #${this.#view.baseline})`,
    };
  }
}
