import {
  apiPaths,
  type CreatedInbox,
  type CreateInboxRequest,
  type DeletedCount,
  type Health,
  type StoredMessage,
} from "@mailnest/protocol";
import type { FaultRule, GreylistOptions, RateLimitOptions } from "../faults/fault-types.js";
import { Faults } from "../faults/faults.js";
import type { MessageFilter } from "../filter/message-filter.js";
import { HttpClient } from "../http/http-client.js";
import { Relay } from "../integrations/relay.js";
import { type SendOptions, toSendRequest } from "../integrations/send-options.js";
import { Webhooks } from "../integrations/webhooks.js";
import type { Message } from "../message/message.js";
import { Reports } from "../reports/reports.js";
import { describeValue } from "../util/describe.js";
import { validateCount, type WaitOptions } from "../wait/wait-options.js";
import { ClientContext } from "./client-context.js";
import { Dns } from "./dns.js";
import { Inbox } from "./inbox.js";
import { MailView } from "./mail-view.js";
import { type MailnestOptions, resolveOptions } from "./options.js";

export interface CreateInboxOptions {
  /** The address's local-part prefix: 1–40 letters, digits, `.`, `_`, `-`. @default "t" */
  prefix?: string;
  /** @default the server's `--domain` */
  domain?: string;
  /** Milliseconds after which the server deletes the inbox and its mail. */
  ttl?: number;
}

export interface CrossInboxWaitOptions extends WaitOptions {
  /**
   * Only messages with a higher sequence count (see `mail.head()`). A wait across inboxes has no
   * handle to start from, so without `since` it looks at the whole store: name the recipient.
   */
  since?: number;
}

/**
 * The client. One per test run (or per worker) is enough; it holds no connection.
 * @example
 * const mail = new Mailnest();                 // MAILNEST_URL, else http://127.0.0.1:8025
 * const inbox = await mail.createInbox();
 */
export class Mailnest {
  /** The server's base URL. */
  readonly url: string;
  readonly #context: ClientContext;
  /** Waits across inboxes share one view, so consecutive ones never return the same message. */
  readonly #everywhere: MailView;
  /** Programmable SMTP answers: rules, chaos and the log of injected faults. */
  readonly faults: Faults;
  /** After the 250: bounces, complaints and auto-replies by rule, and their log (docs/after-acceptance.md). */
  readonly reports: Reports;
  /** Webhook endpoints and their delivery logs (docs/integrations.md). */
  readonly webhooks: Webhooks;
  /** Release to the server's `--relay`: status, auto-relay rules, the log of releases. */
  readonly relay: Relay;
  /** The DNS zone SPF, DKIM, DMARC and ARC are verified against, and DKIM keys (docs/authentication.md). */
  readonly dns: Dns;

  constructor(options: MailnestOptions = {}) {
    const resolved = resolveOptions(options);
    this.url = resolved.url.replace(/\/+$/, "");
    const http = new HttpClient({
      url: resolved.url,
      token: resolved.token,
      requestTimeout: resolved.requestTimeout,
    });
    this.#context = new ClientContext(http, {
      timeout: resolved.timeout,
      maxRequestWait: resolved.maxRequestWait,
    });
    this.#everywhere = new MailView(this.#context, null, 0);
    this.faults = new Faults(http);
    this.reports = new Reports(http);
    this.webhooks = new Webhooks(http);
    this.relay = new Relay(http);
    this.dns = new Dns(http);
  }

  /**
   * More than `max` messages per `window` ms from one sender (or connection, or client) get
   * `421 4.7.0`, which also closes the connection. Same as `mail.faults.rateLimit()`.
   * @example await mail.rateLimit({ max: 10, window: 60_000 });
   */
  async rateLimit(options: RateLimitOptions): Promise<FaultRule> {
    return this.faults.rateLimit(options);
  }

  /** Greylisting for every recipient. Same as `mail.faults.greylist()`. */
  async greylist(options: GreylistOptions): Promise<FaultRule> {
    return this.faults.greylist(options);
  }

  /**
   * Stores a message that the server builds from these fields, as if it had come over SMTP: it lands
   * in its recipients' inboxes, can be waited for and triggers webhooks. Its envelope says
   * `submittedVia: "api"`; `bcc` recipients are in the envelope only.
   * @example
   * await mail.send({ from: "app@example.test", to: inbox.address, subject: "Hi", text: "Hello" });
   */
  async send(options: SendOptions): Promise<Message> {
    const body = toSendRequest(options);
    const data = await this.#context.http.json<StoredMessage>("POST", apiPaths.send(), { body });
    return this.#context.toMessage(data);
  }

  /** A new inbox with a unique address, such as `t-8f3k2q9x@mailnest.test`. Its waits see only mail that arrives after this call. */
  async createInbox(options: CreateInboxOptions = {}): Promise<Inbox> {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Expected createInbox options to be an object such as { prefix: "signup" }; got ${describeValue(options)}`,
      );
    }
    for (const key of Object.keys(options)) {
      if (key !== "prefix" && key !== "domain" && key !== "ttl") {
        throw new TypeError(`Unknown createInbox option "${key}"; expected prefix, domain or ttl`);
      }
    }
    const created = await this.#context.http.json<CreatedInbox>("POST", apiPaths.inboxes(), {
      body: options satisfies CreateInboxRequest,
    });
    this.#context.observeHead(created.head);
    const view = new MailView(this.#context, created.address, created.head);
    return new Inbox(view, created.expiresAt === null ? null : new Date(created.expiresAt));
  }

  /**
   * A handle on an inbox you know the address of (it need not exist yet). Its baseline is the
   * server's head now, so its waits see only mail that arrives after this call; pass
   * `{ since: 0 }` to include what it already holds.
   */
  async inbox(address: string, options: { since?: number } = {}): Promise<Inbox> {
    if (typeof address !== "string" || !/^[^\s@]+@[^\s@]+$/.test(address.trim())) {
      throw new TypeError(
        `Expected an email address such as "user@mailnest.test"; got ${describeValue(address)}`,
      );
    }
    const since = options.since ?? (await this.head());
    validateSince(since);
    return new Inbox(new MailView(this.#context, address.trim(), since), null);
  }

  /**
   * The oldest matching message in any inbox after `since` that no earlier cross-inbox wait of this
   * client returned. Needs `to` in the filter or `since` in the options, so that it cannot pick up
   * an old message from an earlier test.
   * @example const msg = await mail.waitForMessage({ to: "ada@example.com", subject: /invoice/i });
   */
  async waitForMessage(filter: MessageFilter, options?: CrossInboxWaitOptions): Promise<Message> {
    const [message] = await this.waitForMessages(1, filter, options);
    return message!;
  }

  /** The `count` oldest such messages, oldest first. */
  async waitForMessages(
    count: number,
    filter: MessageFilter,
    options: CrossInboxWaitOptions = {},
  ): Promise<Message[]> {
    validateCount(count);
    const { since, ...waitOptions } = options ?? {};
    if (filter?.to === undefined && since === undefined) {
      throw new TypeError(
        'A wait across inboxes needs a recipient ({ to: "user@example.com" }) or a starting point ({ since: await mail.head() }); ' +
          "for one address, `await mail.inbox(address)` before the action and wait on that",
      );
    }
    if (since !== undefined) validateSince(since);
    const start = since ?? 0;
    return this.#everywhere.wait(count, filter, waitOptions, {
      since: start,
      beforeSince: `arrived before the since cursor (#${start})`,
    });
  }

  /** Matching messages in any inbox after `since` (default: all), oldest first. */
  async messages(
    filter?: MessageFilter,
    options: { since?: number; signal?: AbortSignal } = {},
  ): Promise<Message[]> {
    const { since = 0, ...rest } = options;
    validateSince(since);
    return new MailView(this.#context, null, since).list(filter, rest);
  }

  /** One message by id. */
  async message(id: string): Promise<Message> {
    if (typeof id !== "string" || id === "")
      throw new TypeError(`Expected a message id; got ${describeValue(id)}`);
    const data = await this.#context.http.json<StoredMessage>("GET", apiPaths.message(id));
    return this.#context.toMessage(data);
  }

  /** The store's head: the sequence of the newest message (0 when empty). A `since` cursor for later waits. */
  async head(): Promise<number> {
    const health = await this.#context.http.json<Health>("GET", apiPaths.health());
    this.#context.observeHead(health.head);
    return health.head;
  }

  /** Deletes every message in every inbox. Returns how many. */
  async deleteAll(): Promise<number> {
    const { deleted } = await this.#context.http.json<DeletedCount>("DELETE", apiPaths.messages());
    return deleted;
  }
}

function validateSince(since: unknown): asserts since is number {
  if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
    throw new TypeError(`Expected since to be a message sequence number >= 0; got ${describeValue(since)}`);
  }
}
