import type { Request, Response } from "express";
import { ReleaseAttemptFailedError } from "../../../relay/relay-errors.js";
import { isMailAddress } from "../../../send/mail-address.js";
import type { MessageStore } from "../../../store/message-store.js";
import type { MessageSummary, StoredMessage } from "../../../store/model.js";
import { SERVER_VERSION } from "../../../version.js";
import type { ApiDeps } from "../../deps.js";
import type { ApiRoutes } from "../../http/api-routes.js";
import { attachmentDisposition } from "../../http/content-disposition.js";
import { InvalidParameterError, NotFoundError } from "../../http/errors.js";
import { safeContentType } from "../../http/safe-content-type.js";
import { UNTRUSTED_CONTENT_CSP } from "../../http/security-headers.js";
import { jsonListParts, sendJsonParts } from "../../http/send-json-parts.js";
import { sendStream } from "../../http/send-stream.js";
import { requireReleases } from "../../routes/outbound-routes.js";
import { goAtoi, pathParam, queryValue } from "../peer-request.js";
import { PEER_HTML_CSP, publicBase } from "../peer-response.js";
import { collectSummaries } from "../peer-store.js";
import {
  type MaildevEmail,
  type MaildevSummary,
  type MaildevVersion,
  maildevAttachments,
  maildevEmail,
  maildevSummary,
} from "./maildev-email.js";

/**
 * MailDev's REST routes under `base` (`/maildev` always, the root too with `--compat maildev`, on by
 * default), in both of its layouts:
 * - MailDev 2 (maildev/maildev v2.2.1, lib/routes.js): `/email…`, `/healthz`;
 * - MailDev 3 (@maildev/api 3.0.0, server.js): the same routes under `/api`, plus `/api/email/summary`
 *   (pages of summaries for its web UI), `POST /api/email/delete`, `limit` and `sort` on
 *   `GET /api/email`, and `/api/config`.
 * Both relay an email (`POST …/email/:id/relay[/:relayTo]`): here, a release to `--relay`.
 *
 * `GET /email` lists every email in full, oldest first, as MailDev does: cypress-maildev takes the
 * last one as the newest.
 */
export function maildevRoutes(routes: ApiRoutes, deps: ApiDeps, base: string): void {
  emailRoutes(routes, deps, base, 2);
  emailRoutes(routes, deps, base, 3);
  routes.get(`${base}/healthz`, (_req, res) => void res.json(true), BASIC);
  routes.get(`${base}/api/healthz`, (_req, res) => void res.json(true), BASIC);
  routes.get(
    `${base}/api/config`,
    (_req, res) => {
      // Its relay route releases to `--relay` (docs/integrations.md, "Release"); MailDev's config
      // shows the outgoing server as `host:port`.
      const relayUrl = deps.releases?.status().url ?? null;
      res.json({
        version: SERVER_VERSION,
        smtpPort: deps.config.smtpPort,
        isOutgoingEnabled: relayUrl !== null,
        outgoingHost: relayUrl === null ? null : new URL(relayUrl).host,
      });
    },
    BASIC,
  );
}

const BASIC = { basicAuth: true } as const;
/** Routes a browser opens from a link (the HTML view, attachments, the source) also take `?token=`. */
const LINK = { basicAuth: true, queryToken: true } as const;

/** The `/email…` routes of one MailDev layout: version 2 at `base`, version 3 at `base/api`. */
function emailRoutes(routes: ApiRoutes, deps: ApiDeps, base: string, version: MaildevVersion): void {
  const { store } = deps;
  const prefix = version === 2 ? base : `${base}/api`;
  /** Where this layout's routes are as the client sees them: links in answers point there. */
  const linkBase = (res: Response) => publicBase(res, base) + (version === 2 ? "" : "/api");

  const email = async (id: string | undefined): Promise<StoredMessage> =>
    (await store.get(id ?? "")) ?? throwError(new NotFoundError("Email was not found"));

  routes.get(
    `${prefix}/email`,
    async (req, res) => {
      const { skip, limit, sort, filters } = listQuery(req, version);
      // The store lists newest first; MailDev answers in arrival order unless asked to sort by time.
      const summaries = (await collectSummaries(store)).reverse();
      if (sort === "asc" || sort === "desc") summaries.sort(byTime(sort));
      // MailDev answers with every email in full: read, filtered and written one at a time, so a
      // store of large messages is never all in memory (or in one string) at once.
      async function* emails(): AsyncGenerator<MaildevEmail> {
        let skipped = 0;
        let sent = 0;
        for (const summary of summaries) {
          if (limit !== undefined && sent >= limit) return;
          const message = await store.get(summary.id);
          if (message === null) continue;
          const json = maildevEmail(message, linkBase(res), version);
          if (!filters.every(([key, wanted]) => matchesFilter(json, key, wanted, version))) continue;
          if (skipped < skip) {
            skipped += 1;
            continue;
          }
          sent += 1;
          yield json;
        }
      }
      await sendJsonParts(res, jsonListParts(emails()));
    },
    BASIC,
  );

  if (version === 3) {
    // Registered before `/email/:id`, as MailDev does, so the literal paths win.
    routes.get(
      `${prefix}/email/summary`,
      async (req, res) => {
        const query = summaryQuery(req);
        const all = await collectSummaries(store);
        const unread = all.filter((summary) => !summary.read).length;
        const matched: MessageSummary[] = [];
        for (const summary of all) {
          if (query.unreadOnly && summary.read) continue;
          if (query.search && !(await matchesSearch(store, summary, query.search))) continue;
          matched.push(summary);
        }
        matched.sort(byTime(query.sort));
        const items: MaildevSummary[] = [];
        for (const summary of matched.slice(query.skip, query.skip + query.limit)) {
          const message = await store.get(summary.id);
          if (message !== null) items.push(maildevSummary(message));
        }
        res.json({
          items,
          total: matched.length,
          storeTotal: all.length,
          unread,
          skip: query.skip,
          limit: query.limit,
        });
      },
      BASIC,
    );

    routes.post(
      `${prefix}/email/delete`,
      async (req, res) => {
        const ids = (req.body as { ids?: unknown } | undefined)?.ids;
        if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string" || id.trim() === "")) {
          throw InvalidParameterError.expected("ids", "an array of email ids", ids);
        }
        const deleted: string[] = [];
        const notFound: string[] = [];
        for (const id of new Set(ids as string[])) {
          if (await store.deleteMessage(id)) deleted.push(id);
          else notFound.push(id);
        }
        res.json({ deleted, notFound });
      },
      BASIC,
    );
  }

  routes.patch(
    `${prefix}/email/read-all`,
    async (_req, res) => void res.json(await store.setInboxRead(null, true)),
    BASIC,
  );

  routes.delete(
    `${prefix}/email/all`,
    async (_req, res) => {
      await store.deleteAll();
      res.json(true);
    },
    BASIC,
  );

  routes.get(
    `${prefix}/email/:id`,
    async (req, res) => {
      const message = await email(pathParam(req, "id"));
      await store.setRead(message.id, true); // MailDev marks an email read when a client fetches it.
      res.json({ ...maildevEmail(message, linkBase(res), version), read: true });
    },
    BASIC,
  );

  routes.delete(
    `${prefix}/email/:id`,
    async (req, res) => {
      if (!(await store.deleteMessage(pathParam(req, "id")))) throw new NotFoundError("Email was not found");
      res.json(true);
    },
    BASIC,
  );

  // MailDev relays an email to its outgoing server and answers once it was tried. Here that is a
  // release to `--relay`, under its allow list (never an open relay): to the address in the path,
  // or to the email's envelope recipients, as MailDev does.
  const relay = async (req: Request, res: Response) => {
    const message = await email(pathParam(req, "id"));
    const relayTo = req.params.relayTo === undefined ? undefined : pathParam(req, "relayTo");
    if (relayTo !== undefined && !isMailAddress(relayTo)) {
      throw InvalidParameterError.expected("relayTo", "an email address", relayTo);
    }
    const releases = requireReleases(deps);
    const queued = await releases.release(message.id, {
      to: relayTo === undefined ? message.envelope.rcptTo : [relayTo],
    });
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    const tried = await releases.firstAttempt(queued.id, gone.signal).catch(() => null);
    if (tried === null) return; // the client hung up; the release goes on
    if (tried.state === "delivered") {
      res.json(true);
      return;
    }
    const reason = tried.attempts.at(-1)?.error ?? tried.deadReason ?? "no answer";
    throw new ReleaseAttemptFailedError(tried.id, reason, tried.state === "pending");
  };
  routes.post(`${prefix}/email/:id/relay`, relay, BASIC);
  routes.post(`${prefix}/email/:id/relay/:relayTo`, relay, BASIC);

  routes.get(
    `${prefix}/email/:id/html`,
    async (req, res) => {
      const message = await email(pathParam(req, "id"));
      // MailDev 2 answers 200 with nothing for an email without HTML; MailDev 3 answers 404.
      if (message.html === null && version === 3) throw new NotFoundError("Email has no HTML content");
      const attachments = maildevAttachments(message.attachments);
      let html = message.html ?? "";
      for (const attachment of attachments) {
        if (!attachment.contentId) continue;
        const cid = attachment.contentId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const url = `${linkBase(res)}/email/${message.id}/attachment/${encodeURIComponent(attachment.generatedFileName)}`;
        html = html.replace(new RegExp(`src=("|')cid:${cid}("|')`, "g"), `src="${url}"`);
      }
      res.setHeader("Content-Security-Policy", PEER_HTML_CSP);
      res.type("text/html; charset=utf-8").send(html);
    },
    LINK,
  );

  routes.get(
    `${prefix}/email/:id/attachment/:filename`,
    async (req, res) => {
      const message = await email(pathParam(req, "id"));
      const index = maildevAttachments(message.attachments).findIndex(
        (a) => a.generatedFileName === pathParam(req, "filename"),
      );
      const meta = message.attachments[index];
      const found = meta ? await store.readAttachment(message.id, meta.id) : null;
      if (!found) throw new NotFoundError("File not found");
      res.setHeader("Content-Type", safeContentType(found.meta.contentType));
      res.setHeader("Content-Disposition", attachmentDisposition(found.meta.filename, found.meta.id));
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      await sendStream(req, res, found.content);
    },
    LINK,
  );

  for (const [route, download] of [
    ["download", true],
    ["source", false],
  ] as const) {
    routes.get(
      `${prefix}/email/:id/${route}`,
      async (req, res) => {
        const id = pathParam(req, "id");
        const raw = await store.readRaw(id);
        if (raw === null) throw new NotFoundError("File not found");
        res.setHeader("Content-Type", download ? "message/rfc822" : "text/plain; charset=utf-8");
        if (download) res.setHeader("Content-Disposition", attachmentDisposition(`${id}.eml`, `${id}.eml`));
        res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
        await sendStream(req, res, raw);
      },
      LINK,
    );
  }
}

/**
 * By MailDev's `time` (the Date header, else when the message arrived). Date headers have whole
 * seconds, so messages a test sends together tie; a tie goes by arrival in the same direction, so
 * the first of a `desc` list is the newest (MailDev keeps ties in arrival order either way).
 */
function byTime(sort: "asc" | "desc"): (a: MessageSummary, b: MessageSummary) => number {
  const direction = sort === "asc" ? 1 : -1;
  return (a, b) => direction * (timeOf(a) - timeOf(b) || a.sequence - b.sequence);
}

function timeOf(summary: MessageSummary): number {
  return Date.parse(summary.date ?? summary.receivedAt);
}

/** MailDev 3's `matchesSearchTerm`: subject, the From/To/Cc addresses and names, or the text body, case-insensitively. */
async function matchesSearch(store: MessageStore, summary: MessageSummary, needle: string): Promise<boolean> {
  const has = (value: string | null | undefined) => value?.toLowerCase().includes(needle) ?? false;
  if (has(summary.subject)) return true;
  if ([...summary.from, ...summary.to, ...summary.cc].some((a) => has(a.address) || has(a.name))) return true;
  return has((await store.get(summary.id))?.text);
}

/** MailDev 3's `/api/email/summary` query: a page (50 by default, 200 at most), newest first unless `sort=asc`. */
function summaryQuery(req: Request): {
  skip: number;
  limit: number;
  sort: "asc" | "desc";
  search: string;
  unreadOnly: boolean;
} {
  const skip = nonNegative(queryValue(req, "skip")) ?? 0;
  const requested = nonNegative(queryValue(req, "limit"));
  return {
    skip,
    limit: requested === undefined || requested === 0 ? 50 : Math.min(requested, 200),
    sort: queryValue(req, "sort") === "asc" ? "asc" : "desc",
    search: queryValue(req, "search").trim().toLowerCase(),
    unreadOnly: queryValue(req, "unread") === "true",
  };
}

/**
 * `GET /email`'s query. MailDev 2: `skip`, and every other parameter a filter in its dot notation
 * (`from.address=…`). MailDev 3 also takes `limit` and `sort` (`asc` or `desc` by time).
 */
function listQuery(
  req: Request,
  version: MaildevVersion,
): { skip: number; limit: number | undefined; sort: string | undefined; filters: Array<[string, string]> } {
  let skip = 0;
  let limit: number | undefined;
  let sort: string | undefined;
  const filters: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(req.query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first !== "string") continue;
    if (key === "skip") skip = version === 2 ? Math.max(goAtoi(first) ?? 0, 0) : (nonNegative(first) ?? 0);
    else if (version === 3 && key === "limit") limit = nonNegative(first);
    else if (version === 3 && key === "sort") sort = first;
    else filters.push([key, first]);
  }
  return { skip, limit, sort, filters };
}

/** MailDev 3's `parsePositiveInt`: a leading decimal number that is not negative, else nothing. */
function nonNegative(value: string): number | undefined {
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/**
 * MailDev's `filterEmails`: the value at the dotted path equals the parameter, or an array of values
 * includes it. MailDev 2 compares strings as they are; MailDev 3 compares every value as a string
 * (so `?read=false` works there).
 */
function matchesFilter(email: MaildevEmail, key: string, wanted: string, version: MaildevVersion): boolean {
  if (version === 2) {
    const value = lookup(email, key.split("."));
    return Array.isArray(value) ? value.includes(wanted) : value === wanted;
  }
  const value = nestedValue(email, key.split("."));
  if (value === undefined) return false;
  return Array.isArray(value) ? value.some((item) => String(item) === wanted) : String(value) === wanted;
}

function lookup(value: unknown, keys: readonly string[]): unknown {
  const [first, ...rest] = keys;
  if (first === undefined || typeof value !== "object" || value === null) return undefined;
  const base = (value as Record<string, unknown>)[first];
  if (!base) return undefined;
  if (rest.length === 0) return base;
  return Array.isArray(base) ? base.map((item) => lookup(item, rest)) : lookup(base, rest);
}

/** MailDev 3's `getNestedValue`: falsy values count, and an array maps the next key over its items and stops there. */
function nestedValue(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      return current.map((item: unknown) =>
        typeof item === "object" && item !== null ? (item as Record<string, unknown>)[key] : undefined,
      );
    }
    if (typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function throwError(error: Error): never {
  throw error;
}
