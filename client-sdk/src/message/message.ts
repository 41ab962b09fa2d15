import {
  type Address,
  apiPaths,
  type Link,
  type MessageAuthentication,
  type Release,
  type ReleaseList,
  type ReleaseRequest,
  type StoredMessage,
  type TlsInfo,
} from "@mailnest/protocol";
import { AmbiguousMatchError } from "../errors/ambiguous-match-error.js";
import { NoMatchError } from "../errors/no-match-error.js";
import type { AttachmentFilter } from "../filter/attachment-filter.js";
import type { TextMatcher } from "../filter/text-matcher.js";
import type { HttpClient } from "../http/http-client.js";
import { excerpt, formatAddress } from "../util/describe.js";
import { Attachment } from "./attachment.js";
import {
  type CodeCandidate,
  type CodeOptions,
  type CodeSource,
  codePattern,
  codeSources,
  describeCodeKind,
  findCodes,
} from "./find-code.js";
import { MessageHeaders } from "./message-headers.js";
import { bullets, pickOne } from "./pick-one.js";
import { compileAttachmentSelector } from "./select-attachment.js";
import { compileLinkFilter, describeLink, type LinkFilter, matchingLinks } from "./select-link.js";

export interface MessageEnvelope {
  /** MAIL FROM as the sending client gave it ("" for the null sender `<>`). */
  mailFrom: string;
  /** Every RCPT TO, in order. Bcc recipients appear here and nowhere else. */
  rcptTo: readonly string[];
  remoteAddress: string;
  heloName: string;
  /** "api" for a message stored through `mail.send` / `POST /api/send`; absent for SMTP mail. */
  submittedVia?: "api";
}

/**
 * A received message, fully parsed. Everything but the raw bytes and attachment contents is here
 * already; those two are fetched when asked for.
 */
export class Message {
  readonly id: string;
  /** The server's arrival order: a higher sequence arrived later. */
  readonly sequence: number;
  /** The (normalized) inboxes the message is listed in: one per distinct envelope recipient. */
  readonly inboxes: readonly string[];
  readonly envelope: MessageEnvelope;
  readonly messageId: string | null;
  readonly subject: string;
  /** The first From address (a From header with several authors is rare: `headers.getAll("from")`). */
  readonly from: Address | null;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  /** Only known when the sender put a Bcc header in the message itself; see `envelope.rcptTo`. */
  readonly bcc: readonly Address[];
  readonly replyTo: readonly Address[];
  /** The Date header, or null when missing or invalid. */
  readonly date: Date | null;
  readonly receivedAt: Date;
  readonly headers: MessageHeaders;
  readonly text: string | null;
  readonly html: string | null;
  /**
   * What a reader sees: the text part, the HTML's text (tags, scripts, styles and comments
   * dropped, entities decoded), or both, as the server computed it when the message arrived. The
   * `text` filter of waits and lists looks here.
   */
  readonly visibleText: string;
  /** Links in the HTML part (anchors) and the text part, HTML first. */
  readonly links: readonly Link[];
  readonly attachments: readonly Attachment[];
  /** Size of the raw message in bytes. */
  readonly size: number;
  readonly sha256: string;
  /** The SMTP AUTH user name, or null when the sender did not authenticate. */
  readonly authUser: string | null;
  /** The TLS session the message came over, or null for plain SMTP. */
  readonly tls: TlsInfo | null;
  /**
   * The id of an earlier message with the same raw bytes and the same envelope, received within
   * ten minutes before this one (a client that resent after losing its 250, or an app that sent
   * twice), or null. Both copies are kept; `expect(inbox).toHaveNoDuplicates()` asserts there are none.
   */
  readonly duplicateOf: string | null;
  /** Why the message could not be parsed (every parsed field is empty then), or null. */
  readonly parseError: string | null;
  /**
   * SPF, DKIM, DMARC and ARC as the server judged them when the message arrived, against the DNS
   * records the test controls (docs/authentication.md); null when verification was off. Assert with
   * `expect(message).toPassDkim()`, `toPassSpf()`, `toPassDmarc()`.
   * @example message.auth?.dkim[0]?.reason // "body hash did not verify: the body changed after signing"
   */
  readonly auth: MessageAuthentication | null;
  readonly #data: StoredMessage;
  readonly #http: HttpClient;

  /** @internal Messages come from waits and lists. */
  constructor(data: StoredMessage, http: HttpClient) {
    this.#data = data;
    this.#http = http;
    this.id = data.id;
    this.sequence = data.sequence;
    this.inboxes = data.inboxes;
    this.envelope = {
      mailFrom: data.envelope.mailFrom,
      rcptTo: data.envelope.rcptTo,
      remoteAddress: data.envelope.remoteAddress,
      heloName: data.envelope.heloName,
      ...(data.envelope.submittedVia === undefined ? {} : { submittedVia: data.envelope.submittedVia }),
    };
    this.messageId = data.messageId;
    this.subject = data.subject;
    this.from = data.from[0] ?? null;
    this.to = data.to;
    this.cc = data.cc;
    this.bcc = data.bcc;
    this.replyTo = data.replyTo;
    this.date = data.date === null ? null : new Date(data.date);
    this.receivedAt = new Date(data.receivedAt);
    this.headers = new MessageHeaders(data.headers);
    this.text = data.text;
    this.html = data.html;
    this.visibleText = data.visibleText;
    this.links = data.links;
    this.attachments = data.attachments.map(
      (meta) => new Attachment(meta, () => http.bytes("GET", apiPaths.attachment(data.id, meta.id))),
    );
    this.size = data.size;
    this.sha256 = data.sha256;
    this.authUser = data.authUser;
    this.tls = data.envelope.tls;
    this.parseError = data.parseError;
    this.duplicateOf = data.duplicateOf;
    this.auth = data.authentication ?? null;
  }

  /**
   * The one link that matches. Throws `NoMatchError` when none does and `AmbiguousMatchError` when
   * several different hrefs do; both list the message's links. Without a filter, the message must
   * have exactly one distinct link.
   * @example message.link({ text: /confirm/i }).href
   */
  link(filter?: LinkFilter): Link {
    const compiled = compileLinkFilter(filter);
    return pickOne(matchingLinks(this.links, compiled), {
      wanted: compiled.description ? `link with ${compiled.description}` : "link",
      message: this.#label(),
      noun: "links",
      all: matchingLinks(this.links, compileLinkFilter(undefined)).map(describeLink),
      describe: describeLink,
    });
  }

  /**
   * The one code in the subject and the text part; when they hold none (or there is no text part),
   * in the HTML's text. URLs are skipped. Six digits unless told otherwise. Throws `NoMatchError` when there is none
   * and `AmbiguousMatchError` when there are several different ones, listing them.
   * @example message.code()                          // "482913"
   * @example message.code({ alphanumeric: true, length: 8 })
   * @example message.code({ pattern: /code: (\w+-\w+)/ })
   */
  code(options: CodeOptions = {}): string {
    const pattern = codePattern(options);
    const kind = describeCodeKind(options);
    const tiers = codeSources(this);
    let sources: CodeSource[] = [];
    let found: CodeCandidate[] = [];
    for (const tier of tiers) {
      sources = [...sources, ...tier];
      found = findCodes(tier, pattern);
      if (found.length > 0) break;
    }
    if (found.length === 1) return found[0]!.value;
    const searched = sources.map((source) => source.label).join(" and ");
    if (found.length === 0) {
      const preview = sources.map(
        (source) => `${source.label}: ${JSON.stringify(excerpt(source.text, 120))}`,
      );
      throw new NoMatchError(
        `No ${kind} in message ${this.#label()} (searched ${searched}):\n${bullets(preview)}`,
        preview,
      );
    }
    const candidates = found.map((candidate) => `${candidate.value} (${candidate.where})`);
    throw new AmbiguousMatchError(
      `${found.length} different ${kind}s in message ${this.#label()}; pass { pattern } to pick one:\n${bullets(candidates)}`,
      candidates,
    );
  }

  /**
   * The one attachment that matches: a filename matcher, or `{ filename, contentType }`. Throws like `link()`.
   * @example message.attachment(/\.pdf$/)
   */
  attachment(filter?: TextMatcher | AttachmentFilter): Attachment {
    const selector = compileAttachmentSelector(filter, "message.attachment()");
    return pickOne(this.attachments.filter(selector.test), {
      wanted: selector.description ? `attachment with ${selector.description}` : "attachment",
      message: this.#label(),
      noun: "attachments",
      all: this.attachments.map(String),
      describe: String,
    });
  }

  /**
   * The exact bytes the server received (after the SMTP dot-unstuffing). A `Uint8Array` on every
   * platform; in Node, `Buffer.from(bytes)` when a Buffer is needed.
   */
  raw(options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return this.#http.bytes("GET", apiPaths.messageRaw(this.id), options);
  }

  /**
   * Releases this message to the server's `--relay` SMTP server, byte for byte after a few trace
   * header fields, to recipients its `--relay-allow` patterns admit (any other: HTTP 403, nothing
   * sent). Resolves once queued; follow it with `mail.relay.get(release.id)`.
   */
  release(to: string | readonly string[]): Promise<Release> {
    const body: ReleaseRequest = { to: typeof to === "string" ? [to] : [...to] };
    return this.#http.json<Release>("POST", apiPaths.messageRelease(this.id), { body });
  }

  /** This message's releases, newest first, with their attempts. */
  async releases(): Promise<Release[]> {
    return (await this.#http.json<ReleaseList>("GET", apiPaths.messageReleases(this.id))).releases;
  }

  /** The message as the server sent it. */
  toJSON(): StoredMessage {
    return this.#data;
  }

  /** `#7 "Welcome" from App <noreply@app.test> at 2024-05-01T12:01:03.000Z`: how errors show a message. */
  toString(): string {
    const from = this.from ? formatAddress(this.from) : this.envelope.mailFrom || "(no sender)";
    return `#${this.sequence} ${JSON.stringify(this.subject)} from ${from} at ${this.receivedAt.toISOString()}`;
  }

  #label(): string {
    return `#${this.sequence} ${JSON.stringify(this.subject)}`;
  }
}
