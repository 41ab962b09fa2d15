import { isUnexpectedMessageError } from "../errors/unexpected-message-error.js";
import { isWaitTimeoutError } from "../errors/wait-timeout-error.js";
import type { AttachmentFilter, MessageFilter, TextMatcher } from "../filter/message-filter.js";
import { compileTextMatcher, isTextMatcher, TEXT_MATCHER_EXPECTATION } from "../filter/text-matcher.js";
import type { Message } from "../message/message.js";
import { compileAttachmentSelector } from "../message/select-attachment.js";
import { compileLinkFilter, describeLink, type LinkFilter, matchingLinks } from "../message/select-link.js";
import { describeValue } from "../util/describe.js";
import { DEFAULT_NO_MESSAGE_WINDOW_MS, type WaitOptions } from "../wait/wait-options.js";
import {
  type AuthenticationOutcome,
  type DkimExpectation,
  dkimOutcome,
  dmarcOutcome,
  spfOutcome,
} from "./authentication-matchers.js";

/** The part of Jest's, Vitest's and Playwright's matcher context these matchers use. */
export interface MatcherContext {
  isNot?: boolean;
}

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** What the inbox matchers need from an inbox; duck-typed so that any copy of the package works. */
interface InboxLike {
  address: string;
  waitForMessage(filter?: MessageFilter, options?: WaitOptions): Promise<Message>;
  expectNoMessage(filter?: MessageFilter, options?: { within?: number; signal?: AbortSignal }): Promise<void>;
  messages(filter?: MessageFilter): Promise<Message[]>;
}

type MessageLike = Pick<Message, "sequence" | "subject" | "links" | "attachments" | "headers">;

/**
 * The matchers, written once for every runner: `expect.extend(mailnestMatchers)`. Failure messages
 * reuse the SDK's own errors, so a failing assertion explains itself as a failing wait does.
 */
export const mailnestMatchers = {
  async toReceiveMessage(
    this: MatcherContext,
    received: unknown,
    filter?: MessageFilter,
    options?: WaitOptions,
  ): Promise<MatcherResult> {
    const inbox = asInbox(received);
    const hint = `expect(inbox)${this.isNot ? ".not" : ""}.toReceiveMessage(${filter === undefined ? "" : "filter"})`;
    if (this.isNot) {
      const { timeout = DEFAULT_NO_MESSAGE_WINDOW_MS, ...rest } = options ?? {};
      try {
        await inbox.expectNoMessage(filter, { within: timeout, ...rest });
        return { pass: false, message: () => `${hint}\n\nNo matching message reached ${inbox.address}.` };
      } catch (error) {
        if (!isUnexpectedMessageError(error)) throw error;
        return { pass: true, message: () => `${hint}\n\n${error.message}` };
      }
    }
    try {
      const message = await inbox.waitForMessage(filter, options);
      return { pass: true, message: () => `${hint}\n\n${inbox.address} received ${String(message)}` };
    } catch (error) {
      if (!isWaitTimeoutError(error)) throw error;
      return { pass: false, message: () => `${hint}\n\n${error.message}` };
    }
  },

  toHaveLink(this: MatcherContext, received: unknown, filter?: LinkFilter): MatcherResult {
    const message = asMessage(received, "toHaveLink");
    const compiled = compileLinkFilter(filter);
    const found = matchingLinks(message.links, compiled);
    const wanted = compiled.description ? `a link with ${compiled.description}` : "a link";
    return result(this, found.length > 0, `expect(message).toHaveLink()`, () =>
      found.length > 0
        ? `Expected ${label(message)} not to have ${wanted}, but it has:\n${bullets(found.map(describeLink))}`
        : `Expected ${label(message)} to have ${wanted}; ${listOr(message.links.map(describeLink), "it has no links", "its links")}`,
    );
  },

  toHaveAttachment(
    this: MatcherContext,
    received: unknown,
    filter?: TextMatcher | AttachmentFilter,
  ): MatcherResult {
    const message = asMessage(received, "toHaveAttachment");
    const { test, description } = compileAttachmentSelector(filter, "toHaveAttachment");
    const found = message.attachments.filter(test);
    const wanted = description ? `an attachment with ${description}` : "an attachment";
    return result(this, found.length > 0, `expect(message).toHaveAttachment()`, () =>
      found.length > 0
        ? `Expected ${label(message)} not to have ${wanted}, but it has:\n${bullets(found.map(String))}`
        : `Expected ${label(message)} to have ${wanted}; ${listOr(message.attachments.map(String), "it has no attachments", "its attachments")}`,
    );
  },

  toHaveHeader(this: MatcherContext, received: unknown, name: string, value?: TextMatcher): MatcherResult {
    const message = asMessage(received, "toHaveHeader");
    if (typeof name !== "string" || name.trim() === "") {
      throw new TypeError(
        `toHaveHeader expects a header name such as "List-Unsubscribe"; got ${describeValue(name)}`,
      );
    }
    if (value !== undefined && !isTextMatcher(value)) {
      throw new TypeError(
        `toHaveHeader expects a value that is ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
      );
    }
    const matcher = value === undefined ? null : compileTextMatcher(value);
    const values = message.headers.getAll(name);
    const pass = matcher === null ? values.length > 0 : values.some((entry) => matcher.test(entry));
    const wanted = matcher === null ? `a ${name} header` : `a ${name} header ${matcher.description}`;
    const shown = values.map((entry) => `${name}: ${entry}`);
    return result(this, pass, `expect(message).toHaveHeader()`, () =>
      pass
        ? `Expected ${label(message)} not to have ${wanted}, but it has:\n${bullets(shown)}`
        : `Expected ${label(message)} to have ${wanted}; ${listOr(shown, `it has no ${name} header`, "it has")}`,
    );
  },

  async toHaveNoDuplicates(
    this: MatcherContext,
    received: unknown,
    filter?: MessageFilter,
  ): Promise<MatcherResult> {
    const inbox = asInbox(received, "toHaveNoDuplicates");
    const messages = await inbox.messages(filter);
    const byId = new Map(messages.map((message) => [message.id, message]));
    const copies = messages.filter((message) => message.duplicateOf !== null);
    const shown = copies.map((copy) => {
      const original = byId.get(copy.duplicateOf ?? "");
      const first = original ? String(original) : `message ${copy.duplicateOf} (outside this view)`;
      return `${String(copy)} repeats ${first}`;
    });
    const scope = filter === undefined ? "" : " matching the filter";
    return result(this, copies.length === 0, "expect(inbox).toHaveNoDuplicates()", () =>
      copies.length === 0
        ? `Expected a duplicate among the ${messages.length} message(s)${scope} in ${inbox.address}, but none repeats another`
        : `Expected no duplicates in ${inbox.address}${scope}, but ${copies.length} message(s) repeat an earlier one (same bytes and envelope):\n${bullets(shown)}`,
    );
  },

  toPassDkim(this: MatcherContext, received: unknown, expected?: DkimExpectation): MatcherResult {
    return authenticationResult(this, "expect(message).toPassDkim()", dkimOutcome(received, expected));
  },

  toPassSpf(this: MatcherContext, received: unknown): MatcherResult {
    return authenticationResult(this, "expect(message).toPassSpf()", spfOutcome(received));
  },

  toPassDmarc(this: MatcherContext, received: unknown): MatcherResult {
    return authenticationResult(this, "expect(message).toPassDmarc()", dmarcOutcome(received));
  },
};

/** Each of SPF, DKIM and DMARC: pass/fail from `message.auth`, the server's reasons on failure. */
function authenticationResult(
  context: MatcherContext,
  hint: string,
  outcome: AuthenticationOutcome,
): MatcherResult {
  return result(context, outcome.pass, hint, outcome.explain);
}

function result(context: MatcherContext, pass: boolean, hint: string, explain: () => string): MatcherResult {
  const shownHint = context.isNot ? hint.replace(").", ").not.") : hint;
  return { pass, message: () => `${shownHint}\n\n${explain()}` };
}

function asInbox(received: unknown, matcher = "toReceiveMessage"): InboxLike {
  const candidate = received as Partial<InboxLike> | null;
  if (
    typeof candidate?.address !== "string" ||
    typeof candidate.waitForMessage !== "function" ||
    typeof candidate.expectNoMessage !== "function" ||
    typeof candidate.messages !== "function"
  ) {
    throw new TypeError(
      `${matcher} expects an Inbox (from mail.createInbox() or mail.inbox(address)); got ${describeValue(received)}`,
    );
  }
  return candidate as InboxLike;
}

function asMessage(received: unknown, matcher: string): MessageLike {
  const candidate = received as Partial<MessageLike> | null;
  if (!Array.isArray(candidate?.links) || !Array.isArray(candidate.attachments) || !candidate.headers) {
    throw new TypeError(
      `${matcher} expects a Message (from a wait such as inbox.waitForMessage()); got ${describeValue(received)}`,
    );
  }
  return candidate as MessageLike;
}

function label(message: MessageLike): string {
  return `message #${message.sequence} ${JSON.stringify(message.subject)}`;
}

function listOr(lines: readonly string[], whenEmpty: string, heading: string): string {
  return lines.length === 0 ? whenEmpty : `${heading}:\n${bullets(lines)}`;
}

function bullets(lines: readonly string[]): string {
  return lines.map((line) => `  - ${line}`).join("\n");
}
