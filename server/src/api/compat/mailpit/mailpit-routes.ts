import { createHash } from "node:crypto";
import type { Request, Response } from "express";
import type { MessageStore } from "../../../store/message-store.js";
import type { MessageSummary, StoredMessage } from "../../../store/model.js";
import { SERVER_VERSION } from "../../../version.js";
import type { ApiDeps } from "../../deps.js";
import { fromElsewhere } from "../../http/access-guards.js";
import type { ApiRoutes } from "../../http/api-routes.js";
import { attachmentDisposition } from "../../http/content-disposition.js";
import { InvalidParameterError, NotFoundError } from "../../http/errors.js";
import { safeContentType } from "../../http/safe-content-type.js";
import { UNTRUSTED_CONTENT_CSP } from "../../http/security-headers.js";
import { sendStream } from "../../http/send-stream.js";
import {
  bodyField,
  goAtoi,
  goBody,
  goBool,
  goStringList,
  pathParam,
  queryValue,
  stringList,
} from "../peer-request.js";
import { PEER_HTML_CSP, publicBase } from "../peer-response.js";
import {
  allSummaries,
  collectSummaries,
  deleteMessages,
  readAll,
  readRawBytes,
  setReadFlags,
} from "../peer-store.js";
import { canonicalHeaderKey, headerSection, parseHeaderFields } from "../raw-header.js";
import { parseMailpitDate } from "./mailpit-dates.js";
import {
  type ExtraChecksums,
  mailpitBcc,
  mailpitMessage,
  mailpitSearchFacts,
  mailpitSummary,
} from "./mailpit-message.js";
import { MailpitQuery, type SearchFacts } from "./mailpit-search.js";
import type { MailpitInfo, MailpitMessagesSummary, MailpitWebUiConfig } from "./mailpit-shapes.js";
import { MailpitTags } from "./mailpit-tags.js";

/**
 * Mailpit's API v1 (axllent/mailpit server/apiv1, routes in server/server.go) under `base`:
 * `/mailpit` always, at the root too with `--compat mailpit` (on by default; `http/peer-paths.ts`). Each handler
 * reads the store and answers in Mailpit's shapes, status codes and `"ok"` bodies.
 */
export function mailpitRoutes(routes: ApiRoutes, { store }: ApiDeps, base: string): void {
  const tags = new MailpitTags(store);
  const api = `${base}/api/v1`;
  const basic = { basicAuth: true } as const;
  const link = { basicAuth: true, queryToken: true } as const;

  const summaries = async (found: readonly MessageSummary[]) => {
    const messages = await Promise.all(found.map((s) => store.get(s.id)));
    return messages
      .filter((m): m is StoredMessage => m !== null)
      .map((m) => mailpitSummary(m, tags.of(m.id, m.headers)));
  };

  /** The page both list routes answer with; `matched` is what the query selected, newest first. */
  const page = async (
    req: Request,
    matched: MessageSummary[],
    onPage: MessageSummary[],
  ): Promise<MailpitMessagesSummary> => {
    const stats = await mailboxStats(store);
    const messages = await summaries(onPage);
    return {
      total: stats.total,
      unread: stats.unread,
      count: messages.length,
      messages_count: matched.length,
      messages_unread: matched.filter((s) => !s.read).length,
      start: startLimit(req).start,
      tags: await tags.all(),
      messages,
    };
  };

  const search = (query: string, timeZone: string, beforeMs = 0) => {
    const parsed = MailpitQuery.parse(query, timeZone);
    return collectSummaries(store, async (summary) => {
      if (beforeMs > 0 && Math.floor(summary.receivedTime) >= beforeMs) return false;
      let facts: Promise<SearchFacts> | undefined;
      const load = async (): Promise<SearchFacts> => {
        const message = await store.get(summary.id);
        return message === null
          ? NO_FACTS
          : mailpitSearchFacts(message, tags.of(message.id, message.headers));
      };
      return parsed.matches({ summary, facts: () => (facts ??= load()) });
    });
  };

  /** `latest` (optionally narrowed by `?query=`) is the newest message; anything else an id. */
  const resolveId = async (req: Request, id: string): Promise<string> => {
    if (id !== "latest") return id;
    const query = queryValue(req, "query").trim();
    const newest = query
      ? (await search(query, queryValue(req, "tz")))[0]
      : (await store.list({ limit: 1 })).messages[0];
    if (!newest) throw new NotFoundError("Message not found");
    return newest.id;
  };

  const messageOf = async (req: Request): Promise<StoredMessage> => {
    const id = await resolveId(req, pathParam(req, "id"));
    return (await store.get(id)) ?? throwError(new NotFoundError(`No message with id ${JSON.stringify(id)}`));
  };

  const ok = (res: Response) => res.type("text/plain").send("ok");

  routes.get(
    `${api}/info`,
    async (_req, res) => {
      const stats = await mailboxStats(store);
      const info: MailpitInfo = {
        Version: SERVER_VERSION,
        LatestVersion: "disabled",
        Database: "",
        DatabaseSize: stats.size,
        Messages: stats.total,
        Unread: stats.unread,
        Tags: Object.fromEntries(await tags.counts()),
        RuntimeStats: {
          Uptime: Math.floor(process.uptime()),
          Memory: process.memoryUsage().rss,
          MessagesDeleted: 0,
          SMTPAccepted: store.head,
          SMTPAcceptedSize: 0,
          SMTPRejected: 0,
          SMTPIgnored: 0,
        },
      };
      res.json(info);
    },
    basic,
  );

  routes.get(
    `${api}/webui`,
    (_req, res) => {
      const config: MailpitWebUiConfig = {
        Label: "Mailnest",
        MessageRelay: {
          Enabled: false,
          SMTPServer: "",
          ReturnPath: "",
          AllowedRecipients: "",
          BlockedRecipients: "",
          OverrideFrom: "",
          PreserveMessageIDs: false,
          RecipientAllowlist: "",
        },
        SpamAssassin: false,
        ChaosEnabled: false,
        DuplicatesIgnored: false,
        HideDeleteAllButton: false,
      };
      res.json(config);
    },
    basic,
  );

  routes.get(
    `${api}/messages`,
    async (req, res) => {
      const { start, limit, before } = startLimit(req);
      const matched = await collectSummaries(
        store,
        (s) => before === 0 || Math.floor(s.receivedTime) < before,
      );
      // `limit=0` lists everything, from the first: Mailpit then sets neither LIMIT nor OFFSET.
      const onPage = limit > 0 ? matched.slice(start, start + limit) : matched;
      const result = await page(req, matched, onPage);
      // Mailpit counts the whole mailbox here, not what `before` left.
      res.json({ ...result, messages_count: result.total, messages_unread: result.unread });
    },
    basic,
  );

  routes.put(
    `${api}/messages`,
    async (req, res) => {
      goBody(req.body);
      const read = goBool(bodyField(req.body, "Read"), "Read");
      const ids = goStringList(bodyField(req.body, "IDs"), "IDs");
      const searchField = bodyField(req.body, "Search");
      const query = typeof searchField === "string" ? searchField.trim() : "";
      if (ids.length > 0 && query !== "") {
        throw new InvalidParameterError("IDs", "You may specify either IDs or a search query, not both");
      }
      if (query !== "") {
        const matched = await search(query, queryValue(req, "tz"));
        await setReadFlags(
          store,
          matched.map((s) => s.id),
          read,
        );
      } else if (ids.length === 0) await store.setInboxRead(null, read);
      else await setReadFlags(store, ids, read);
      ok(res);
    },
    basic,
  );

  routes.delete(
    `${api}/messages`,
    async (req, res) => {
      // No IDs means every message, as in Mailpit; IDs that are not a list of strings are a 400,
      // never "every message".
      goBody(req.body);
      const ids = goStringList(bodyField(req.body, "IDs"), "IDs");
      if (ids.length === 0) await store.deleteAll();
      else await deleteMessages(store, ids);
      ok(res);
    },
    basic,
  );

  routes.get(
    `${api}/search`,
    async (req, res) => {
      const query = searchQuery(req);
      const { start, limit, before } = startLimit(req);
      const matched = await search(query, queryValue(req, "tz"), before);
      res.json(await page(req, matched, matched.slice(start, start + limit)));
    },
    basic,
  );

  routes.delete(
    `${api}/search`,
    async (req, res) => {
      const matched = await search(searchQuery(req), queryValue(req, "tz"));
      await deleteMessages(
        store,
        matched.map((s) => s.id),
      );
      ok(res);
    },
    basic,
  );

  routes.get(
    `${api}/message/:id`,
    async (req, res) => {
      const message = await messageOf(req);
      const checksums = await extraChecksums(store, message);
      await store.setRead(message.id, true); // Mailpit marks a message read when a client opens it.
      res.json(mailpitMessage(message, tags.of(message.id, message.headers), checksums));
    },
    basic,
  );

  routes.get(
    `${api}/message/:id/headers`,
    async (req, res) => {
      const message = await messageOf(req);
      const raw =
        (await readRawBytes(store, message.id)) ?? throwError(new NotFoundError("Message not found"));
      res.json(mailpitHeaders(message, raw));
    },
    basic,
  );

  routes.get(
    `${api}/message/:id/raw`,
    async (req, res) => {
      const id = await resolveId(req, pathParam(req, "id"));
      const raw =
        (await store.readRaw(id)) ??
        throwError(new NotFoundError(`No message with id ${JSON.stringify(id)}`));
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      if (queryValue(req, "dl") === "1")
        res.setHeader("Content-Disposition", attachmentDisposition(`${id}.eml`, `${id}.eml`));
      await sendStream(req, res, raw);
    },
    link,
  );

  routes.get(
    `${api}/message/:id/part/:partId`,
    async (req, res) => {
      const id = await resolveId(req, pathParam(req, "id"));
      const partId = pathParam(req, "partId");
      const found = await store.readAttachment(id, partId);
      if (!found) throw new NotFoundError(`Message ${id} has no part ${JSON.stringify(partId)}`);
      res.setHeader("Content-Type", safeContentType(found.meta.contentType));
      res.setHeader("Content-Disposition", attachmentDisposition(found.meta.filename, partId));
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      await sendStream(req, res, found.content);
    },
    link,
  );

  routes.get(`${api}/tags`, async (_req, res) => void res.json(await tags.all()), basic);

  routes.put(
    `${api}/tags`,
    (req, res) => {
      tags.set(stringList(bodyField(req.body, "IDs")), stringList(bodyField(req.body, "Tags")));
      ok(res);
    },
    basic,
  );

  routes.put(
    `${api}/tags/:tag`,
    async (req, res) => {
      const name = bodyField(req.body, "Name");
      if (typeof name !== "string" || name.trim() === "")
        throw new InvalidParameterError("Name", "Invalid new tag name");
      await tags.rename(pathParam(req, "tag"), name);
      ok(res);
    },
    basic,
  );

  routes.delete(
    `${api}/tags/:tag`,
    async (req, res) => {
      await tags.delete(pathParam(req, "tag"));
      ok(res);
    },
    basic,
  );

  routes.get(
    `${base}/view/:id.html`,
    async (req, res) => {
      const message = await messageOf(req);
      if (!fromElsewhere(req, routes.corsOrigins)) await store.setRead(message.id, true);
      if (!message.html) throw new NotFoundError("This message does not contain a HTML part");
      res.setHeader("Content-Security-Policy", PEER_HTML_CSP);
      res.type("text/html; charset=utf-8").send(linkInlineImages(message, `${publicBase(res, base)}/api/v1`));
    },
    link,
  );

  routes.get(
    `${base}/view/:id.txt`,
    async (req, res) => {
      const message = await messageOf(req);
      if (!fromElsewhere(req, routes.corsOrigins)) await store.setRead(message.id, true);
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      res.type("text/plain; charset=utf-8").send(message.text ?? "");
    },
    link,
  );
}

const NO_FACTS: SearchFacts = { bcc: [], replyTo: [], searchText: "", attachments: 0, inlines: 0, tags: [] };

/** `start`, `limit` and `before` as Mailpit's `getStartLimit` reads them (defaults 0, 50, none). */
function startLimit(req: Request): { start: number; limit: number; before: number } {
  const start = goAtoi(queryValue(req, "start"));
  const limit = goAtoi(queryValue(req, "limit"));
  const before = queryValue(req, "before");
  return {
    start: start !== null && start > 0 ? start : 0,
    limit: limit !== null && limit > -1 ? limit : 50,
    before: before === "" ? 0 : (parseMailpitDate(before) ?? 0),
  };
}

function searchQuery(req: Request): string {
  const query = queryValue(req, "query").trim();
  if (query === "") throw new InvalidParameterError("query", "Error: no search query");
  return query;
}

/** Totals of the whole mailbox, as Mailpit's `StatsGet`. */
async function mailboxStats(store: MessageStore): Promise<{ total: number; unread: number; size: number }> {
  let total = 0;
  let unread = 0;
  let size = 0;
  for await (const summary of allSummaries(store)) {
    total += 1;
    size += summary.size;
    if (!summary.read) unread += 1;
  }
  return { total, unread, size };
}

async function extraChecksums(
  store: MessageStore,
  message: StoredMessage,
): Promise<Map<string, ExtraChecksums>> {
  const checksums = new Map<string, ExtraChecksums>();
  for (const { id } of message.attachments) {
    const found = await store.readAttachment(message.id, id);
    if (!found) continue;
    const content = await readAll(found.content);
    checksums.set(id, {
      md5: createHash("md5").update(content).digest("hex"),
      sha1: createHash("sha1").update(content).digest("hex"),
    });
  }
  return checksums;
}

/**
 * Go's `mail.Header` of the raw message, keys canonical and sorted as `encoding/json` writes a
 * map, values as written. Return-Path and Bcc are what Mailpit's SMTP server would have stored.
 */
function mailpitHeaders(message: StoredMessage, raw: Buffer): Record<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const { name, value } of parseHeaderFields(headerSection(raw))) {
    const key = canonicalHeaderKey(name);
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  if (!headers.has("Return-Path") && message.envelope.mailFrom !== "") {
    headers.set("Return-Path", [`<${message.envelope.mailFrom}>`]);
  }
  const extraBcc = mailpitBcc(message)
    .slice(message.bcc.length)
    .map((a) => a.address);
  if (extraBcc.length > 0) {
    const bcc = [...(headers.get("Bcc") ?? []), ...extraBcc].join(", ");
    headers.set("Bcc", [bcc]);
  }
  return Object.fromEntries([...headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Mailpit's `linkInlineImages`: `cid:` references to a part become links to that part. */
function linkInlineImages(message: StoredMessage, apiBase: string): string {
  let html = message.html ?? "";
  for (const attachment of message.attachments) {
    if (!attachment.contentId) continue;
    const cid = attachment.contentId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const reference = new RegExp(`(=["']?)(cid:${cid})(["'\\s/>;])`, "gi");
    html = html.replace(reference, `$1${apiBase}/message/${message.id}/part/${attachment.id}$3`);
  }
  return html;
}

function throwError(error: Error): never {
  throw error;
}
