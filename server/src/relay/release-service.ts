import path from "node:path";
import type { Readable } from "node:stream";
import type { MessageSummary, RelayRule, RelayStatus, Release } from "@mailnest/protocol";
import type { EventBus } from "../events/bus.js";
import { newId } from "../outbox/new-id.js";
import { type AttemptResult, type Job, Outbox, OutboxLookupError } from "../outbox/outbox.js";
import { progressOf } from "../outbox/outbox-state.js";
import type { RetryPolicy } from "../outbox/retry-policy.js";
import type { SharedOutboxes } from "../outbox/shared-outboxes.js";
import { isMailAddress } from "../send/mail-address.js";
import type { MessageStore } from "../store/message-store.js";
import { unknownField } from "../unknown-field.js";
import { compileRecipientPattern, isAllowed, type RecipientPattern } from "./recipient-pattern.js";
import { createRelayClient, type RelayClient } from "./relay-client.js";
import { InvalidReleaseError, RelayRefusedError, UnknownReleaseError } from "./relay-errors.js";
import type { RelayTarget } from "./relay-target.js";
import { traceHeaders, wasReleased } from "./trace-headers.js";

/** What the outbox keeps about the relay lane: the auto-relay rules. */
interface RelayLaneMeta {
  rules: RelayRule[];
}

interface ReleasePayload {
  messageId: string;
  recipients: string[];
  /** The captured message's envelope sender, used as MAIL FROM unless the relay URL sets `from`. */
  mailFrom: string;
  source: "api" | "rule";
  ruleId: string | null;
}

/** An auto-relay rule given on the command line. */
export interface CliRelayRule {
  match: string;
  relayTo?: string[];
}

export interface ReleaseServiceOptions {
  /** `<dataDir>/outbox/releases.journal`; null = memory only. Unused with `shared`. */
  dataDir: string | null;
  /**
   * Keep rules and releases in these shared outboxes (PostgreSQL, docs/scaling.md "Releases and
   * auto-relay"): every instance shows the same, and one of them sends.
   */
  shared?: SharedOutboxes | null;
  bus: EventBus;
  store: Pick<MessageStore, "summary" | "readRaw">;
  /** null: no relay configured; every release is refused (never an open relay). */
  relay: RelayTarget | null;
  /** The sandbox's domain: the EHLO name, Resent-Message-ID and the default Resent-From. */
  domain: string;
  /** RCPT TO per release, as over SMTP. @default 100 */
  maxRecipients?: number;
  /** `--relay-auto` rules; CLI rules no longer given are removed at start. */
  cliRules?: CliRelayRule[];
  retry?: Partial<RetryPolicy>;
  /** @default 120_000 */
  attemptTimeoutMs?: number;
  /** Messages released at once. @default 4 */
  concurrency?: number;
  /** Finished releases kept in the log. @default 1000 */
  keepReleases?: number;
  /** For tests: the SMTP client (nodemailer's transport otherwise). */
  client?: RelayClient;
}

const LANE = "relay";

/**
 * Release and auto-relay (docs/integrations.md): a captured message is sent on to a real SMTP
 * server, byte for byte after a few prepended trace header fields, to recipients the operator's
 * `--relay-allow` patterns admit. Never an open relay: without `--relay` nothing is released, and a
 * recipient outside the patterns is refused before anything is queued (and checked again before
 * each attempt, in case the flags changed across a restart).
 *
 * Releases go through the durable outbox, like webhooks: a restart does not lose a pending one,
 * failures are retried with backoff and every attempt is logged.
 */
export class ReleaseService {
  readonly #outbox: Outbox<ReleasePayload, RelayLaneMeta>;
  readonly #options: ReleaseServiceOptions;
  readonly #client: RelayClient | null;
  readonly #patterns = new Map<string, RecipientPattern>();
  #unsubscribe: (() => void) | null = null;

  private constructor(
    outbox: Outbox<ReleasePayload, RelayLaneMeta>,
    options: ReleaseServiceOptions,
    client: RelayClient | null,
  ) {
    this.#outbox = outbox;
    this.#options = options;
    this.#client = client;
  }

  static async open(options: ReleaseServiceOptions): Promise<ReleaseService> {
    const client =
      options.client ?? (options.relay === null ? null : createRelayClient(options.relay, options.domain));
    let service: ReleaseService | null = null;
    const outbox = await Outbox.open<ReleasePayload, RelayLaneMeta>({
      file: options.dataDir === null ? null : path.join(options.dataDir, "outbox", "releases.journal"),
      shared: options.shared ? { outboxes: options.shared, name: "releases" } : null,
      jobIdPrefix: "rl",
      attemptTimeoutMs: options.attemptTimeoutMs ?? 120_000,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.keepReleases === undefined ? {} : { keepFinishedPerLane: options.keepReleases }),
      perform: (job) => service!.#perform(job),
    });
    service = new ReleaseService(outbox, options, client);
    try {
      // Alone among instances sharing the journal: two starting at once add each rule once.
      await outbox.exclusive(async () => {
        const lane = outbox.lane(LANE);
        await outbox.putLane(LANE, { rules: lane?.meta.rules ?? [] }, service!.#settings());
        await service!.#applyCliRules(options.cliRules ?? []);
      });
      // Only mail stored on this instance: the others relay what they stored (docs/scaling.md).
      service.#unsubscribe = options.bus.on("message.stored", ({ message }, { origin }) => {
        if (origin === "here") service!.#autoRelay(message);
      });
      outbox.start();
    } catch (error) {
      await outbox.close();
      client?.close();
      throw error;
    }
    return service;
  }

  /** Whether this instance sends the releases: always, unless the outboxes are shared and another has the turn. */
  get delivering(): boolean {
    return this.#outbox.delivering;
  }

  status(): RelayStatus {
    const relay = this.#options.relay;
    return {
      configured: relay !== null,
      url: relay?.displayUrl ?? null,
      allow: relay?.allow.map((pattern) => pattern.source) ?? [],
    };
  }

  /** Queues a release of a stored message; refuses (queueing nothing) unless every recipient is allowed. */
  async release(messageId: string, request: unknown): Promise<Release> {
    const relay = this.#requireRelay();
    if (typeof request !== "object" || request === null || !("to" in request)) {
      throw new InvalidReleaseError('Expected { "to": ["someone@example.com"] }', "to");
    }
    const unknown = unknownField(request, ["to"]);
    if (unknown !== null) throw new InvalidReleaseError(unknown.message, unknown.field);
    const recipients = this.#recipients((request as { to: unknown }).to, "to");
    const refused = recipients.filter((recipient) => !isAllowed(relay.allow, recipient));
    if (refused.length > 0) throw notAllowed(refused, relay, "to");
    const summary = this.#options.store.summary(messageId);
    if (!summary) throw new UnknownReleaseError("message", messageId);
    const job = await this.#outbox.enqueue(LANE, {
      messageId,
      recipients,
      mailFrom: summary.mailFrom,
      source: "api",
      ruleId: null,
    });
    return releaseView(job);
  }

  /** Releases, newest first; with `messageId`, only that message's. */
  releases(options: { messageId?: string; limit?: number } = {}): Release[] {
    return this.#outbox
      .jobs(LANE)
      .filter((job) => options.messageId === undefined || job.payload.messageId === options.messageId)
      .slice(0, options.limit ?? Number.POSITIVE_INFINITY)
      .map(releaseView);
  }

  get(id: string): Release {
    const job = this.#outbox.job(id);
    if (!job) throw new UnknownReleaseError("release", id);
    return releaseView(job);
  }

  /**
   * The release once its first attempt is over: delivered, given up, or failed and waiting for its
   * retry. For a caller that answers only after trying, as MailDev's relay route does. Every
   * instance on a shared database sees the change, whichever one made the attempt.
   */
  firstAttempt(id: string, signal?: AbortSignal): Promise<Release> {
    const over = (release: Release) => release.state !== "pending" || release.attempts.length > 0;
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        stop();
        signal?.removeEventListener("abort", aborted);
        outcome();
      };
      const aborted = () => finish(() => reject(signal?.reason));
      const stop = this.onReleaseChange((release) => {
        if (release.id === id && over(release)) finish(() => resolve(release));
      });
      signal?.addEventListener("abort", aborted, { once: true });
      try {
        const now = this.get(id);
        if (over(now)) finish(() => resolve(now));
      } catch (error) {
        finish(() => reject(error));
      }
    });
  }

  /** Queues the release again (a dead one, typically), with the same message and recipients. */
  async retry(id: string): Promise<Release> {
    this.#requireRelay();
    try {
      return releaseView(await this.#outbox.redeliver(id));
    } catch (error) {
      if (error instanceof OutboxLookupError) throw new UnknownReleaseError("release", id);
      throw error;
    }
  }

  rules(): RelayRule[] {
    return structuredClone(this.#outbox.lane(LANE)?.meta.rules ?? []);
  }

  async addRule(request: unknown, source: "cli" | "api" = "api"): Promise<RelayRule> {
    const rule = this.#parseRule(request, source);
    // The list is saved whole: read and written alone, so a rule added meanwhile (by another
    // request, or instance) is kept.
    await this.#outbox.exclusive(() => this.#saveRules([...this.rules(), rule]));
    return rule;
  }

  #parseRule(request: unknown, source: "cli" | "api"): RelayRule {
    const relay = this.#requireRelay();
    if (typeof request !== "object" || request === null) {
      throw new InvalidReleaseError('Expected { "match": "*@staging.example.com" }', "match");
    }
    const unknown = unknownField(request, ["match", "relayTo"]);
    if (unknown !== null) throw new InvalidReleaseError(unknown.message, unknown.field);
    const { match, relayTo } = request as { match?: unknown; relayTo?: unknown };
    if (typeof match !== "string")
      throw new InvalidReleaseError("Expected match, a recipient pattern", "match");
    let pattern: RecipientPattern;
    try {
      pattern = compileRecipientPattern(match);
    } catch (error) {
      throw new InvalidReleaseError((error as Error).message, "match");
    }
    const targets = relayTo === undefined ? null : this.#recipients(relayTo, "relayTo");
    const refused = (targets ?? []).filter((recipient) => !isAllowed(relay.allow, recipient));
    if (refused.length > 0) throw notAllowed(refused, relay, "relayTo");
    const rule: RelayRule = {
      id: newId("rr"),
      match: pattern.source,
      relayTo: targets,
      source,
      createdAt: new Date().toISOString(),
    };
    return rule;
  }

  async removeRule(id: string): Promise<void> {
    await this.#outbox.exclusive(async () => {
      const rules = this.rules();
      if (!rules.some((rule) => rule.id === id)) throw new UnknownReleaseError("rule", id);
      await this.#saveRules(rules.filter((rule) => rule.id !== id));
    });
  }

  onReleaseChange(listener: (release: Release) => void): () => void {
    return this.#outbox.onChange((job) => listener(releaseView(job)));
  }

  /** Stops listening, interrupts attempts in flight (made again after a restart), closes the journal. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#outbox.close();
    this.#client?.close();
  }

  /** On each stored message: a release per matching rule (a recipient covered by an earlier rule is not repeated). No I/O. */
  #autoRelay(message: MessageSummary): void {
    const relay = this.#options.relay;
    if (relay === null) return;
    const released = new Set<string>();
    for (const rule of this.#outbox.lane(LANE)?.meta.rules ?? []) {
      const pattern = this.#pattern(rule.match);
      const matching = message.rcptTo.filter((recipient) => pattern.matches(recipient));
      if (matching.length === 0) continue;
      const candidates = (rule.relayTo ?? matching).filter(
        (recipient) => !released.has(recipient.toLowerCase()),
      );
      for (const recipient of candidates) released.add(recipient.toLowerCase());
      const allowed = candidates.filter((recipient) => isAllowed(relay.allow, recipient));
      // Recipients --relay-allow refuses get a release too, which its first attempt ends as dead
      // with the reason: skipped without a trace, a rule that could never release looked broken.
      const refused = candidates.filter((recipient) => !allowed.includes(recipient));
      for (const recipients of [allowed, refused]) {
        if (recipients.length > 0) this.#enqueueRuleRelease(message, rule.id, recipients);
      }
    }
  }

  #enqueueRuleRelease(message: MessageSummary, ruleId: string, recipients: string[]): void {
    const payload: ReleasePayload = {
      messageId: message.id,
      recipients,
      mailFrom: message.mailFrom,
      source: "rule",
      ruleId,
    };
    // Written at once (so a kill -9 keeps it), fdatasync'd within a second: off the SMTP path.
    this.#outbox.enqueue(LANE, payload, { durable: false }).catch((error: unknown) => {
      console.error(`mailnest: could not queue the auto-relay of message ${message.id}:`, error);
    });
  }

  async #perform(job: Readonly<Job<ReleasePayload>>): Promise<AttemptResult> {
    const { relay, store, domain } = this.#options;
    const { payload } = job;
    if (relay === null || this.#client === null) return permanent("no relay is configured (--relay)");
    const refused = payload.recipients.filter((recipient) => !isAllowed(relay.allow, recipient));
    if (refused.length > 0) {
      return permanent(
        `${refused.join(", ")} ${refused.length === 1 ? "is" : "are"} not allowed by --relay-allow`,
      );
    }
    const stream = await store.readRaw(payload.messageId);
    if (stream === null) return permanent(`message ${payload.messageId} is no longer stored`);
    const raw = await readAll(stream);
    if (payload.source === "rule" && wasReleased(raw)) {
      return permanent("not auto-relayed: the message was itself released by a Mailnest (loop guard)");
    }
    const trace = traceHeaders({
      releaseId: job.id,
      messageId: payload.messageId,
      resentFrom: relay.from ?? `mailnest@${domain}`,
      recipients: payload.recipients,
      releasedBy: payload.ruleId ?? "api",
      domain,
    });
    const envelope = { from: relay.from ?? payload.mailFrom, to: payload.recipients };
    return this.#client.send(envelope, Buffer.concat([trace, raw]));
  }

  #recipients(value: unknown, parameter: string): string[] {
    const max = this.#options.maxRecipients ?? 100;
    if (!Array.isArray(value) || value.length === 0 || value.length > max) {
      throw new InvalidReleaseError(`Expected ${parameter} to be a list of 1 to ${max} addresses`, parameter);
    }
    for (const entry of value) {
      if (typeof entry !== "string" || !isMailAddress(entry)) {
        throw new InvalidReleaseError(
          `Expected addresses like "qa@example.com" in ${parameter}, got ${JSON.stringify(entry)}`,
          parameter,
        );
      }
    }
    return [...new Set(value as string[])];
  }

  #requireRelay(): RelayTarget {
    const relay = this.#options.relay;
    if (relay === null) {
      throw new RelayRefusedError(
        "No relay is configured: start Mailnest with --relay smtp://host:port and --relay-allow <pattern> to release mail",
        "not_configured",
      );
    }
    return relay;
  }

  #pattern(source: string): RecipientPattern {
    let pattern = this.#patterns.get(source);
    if (!pattern) {
      pattern = compileRecipientPattern(source);
      this.#patterns.set(source, pattern);
    }
    return pattern;
  }

  async #applyCliRules(wanted: CliRelayRule[]): Promise<void> {
    const current = this.rules();
    const api = current.filter((rule) => rule.source === "api");
    const cli = current.filter((rule) => rule.source === "cli");
    const key = (rule: { match: string; relayTo?: string[] | null }) =>
      JSON.stringify([rule.match.toLowerCase(), rule.relayTo ?? null]);
    // Shared rules are every instance's: one started without a flag leaves the rule alone.
    const kept = this.#options.shared
      ? cli
      : cli.filter((rule) => wanted.some((entry) => key(entry) === key(rule)));
    const added = wanted
      .filter((entry) => !kept.some((rule) => key(rule) === key(entry)))
      .map((entry) => this.#parseRule(entry, "cli"));
    // Called inside `exclusive` already (at open): saves directly.
    if (kept.length !== cli.length || added.length > 0) await this.#saveRules([...kept, ...api, ...added]);
  }

  async #saveRules(rules: RelayRule[]): Promise<void> {
    await this.#outbox.putLane(LANE, { rules }, this.#settings());
  }

  #settings() {
    return { paused: false, concurrency: this.#options.concurrency ?? 4 };
  }
}

function notAllowed(refused: string[], relay: RelayTarget, parameter: string): RelayRefusedError {
  const patterns = relay.allow.map((pattern) => pattern.source);
  return new RelayRefusedError(
    `Not released: ${refused.join(", ")} ${refused.length === 1 ? "is" : "are"} not allowed by --relay-allow (${patterns.length === 0 ? "no patterns given" : patterns.join(", ")}); Mailnest is never an open relay`,
    "recipient_not_allowed",
    parameter,
  );
}

function permanent(error: string): AttemptResult {
  return { ok: false, status: null, error, permanent: true };
}

function releaseView(job: Readonly<Job<ReleasePayload>>): Release {
  return {
    id: job.id,
    messageId: job.payload.messageId,
    recipients: [...job.payload.recipients],
    source: job.payload.source,
    ruleId: job.payload.ruleId,
    ...progressOf(job),
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
