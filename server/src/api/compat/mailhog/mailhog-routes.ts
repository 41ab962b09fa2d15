import type { Request, Response } from "express";
import type { MessageStore } from "../../../store/message-store.js";
import type { MessageSummary } from "../../../store/model.js";
import type { ApiDeps } from "../../deps.js";
import type { ApiRoutes } from "../../http/api-routes.js";
import { attachmentDisposition } from "../../http/content-disposition.js";
import { InvalidParameterError, NotFoundError } from "../../http/errors.js";
import { safeContentType } from "../../http/safe-content-type.js";
import { UNTRUSTED_CONTENT_CSP } from "../../http/security-headers.js";
import { jsonListParts, sendJsonParts } from "../../http/send-json-parts.js";
import { sendStream } from "../../http/send-stream.js";
import { goAtoi, pathParam, queryValue } from "../peer-request.js";
import { allSummaries, readRawBytes } from "../peer-store.js";
import { type MailhogMessage, type MailhogMessages, mailhogMessage } from "./mailhog-message.js";

/** What MailHog's v1 `GET /api/v1/messages` returns at most (it takes no paging parameters). */
const V1_LIST_LIMIT = 1000;
const DEFAULT_LIMIT = 50;
/** MailHog's v2 routes clamp `limit` to this. */
const MAX_LIMIT = 250;

type SearchKind = "from" | "to" | "containing";

/**
 * MailHog's API (mailhog/MailHog-Server api/v1.go and api/v2.go) under `base`: `/mailhog` always,
 * the root too with `--compat mailhog`. Messages in MailHog's shape (`mailhog-message.ts`), newest
 * first, paged by `start` and `limit`.
 */
export function mailhogRoutes(routes: ApiRoutes, { store, config }: ApiDeps, base: string): void {
  const basic = { basicAuth: true } as const;

  /** One at a time: each item carries the whole message, and a page may hold 250 (or 1000 in v1). */
  async function* toMailhog(summaries: readonly MessageSummary[]): AsyncGenerator<MailhogMessage | null> {
    for (const { id } of summaries) {
      const message = await store.get(id);
      const raw = message === null ? null : await readRawBytes(store, id);
      yield message === null || raw === null ? null : mailhogMessage(message, raw, config.domain);
    }
  }

  /** MailHog's page: `total`, `start`, the items, and `count` (how many were written). */
  const sendPage = (res: Response, total: number, start: number, summaries: readonly MessageSummary[]) =>
    sendJsonParts(
      res,
      jsonListParts(toMailhog(summaries), {
        fields: { total, start } satisfies Partial<MailhogMessages>,
        key: "items",
        countKey: "count",
      }),
    );

  const one = async (id: string | undefined): Promise<MailhogMessage> => {
    const message = await store.get(id ?? "");
    const raw = message === null ? null : await readRawBytes(store, message.id);
    if (message === null || raw === null) throw new NotFoundError(`No message with id ${JSON.stringify(id)}`);
    return mailhogMessage(message, raw, config.domain);
  };

  /** MailHog answers its DELETEs with 200 and no body: `mailhog`'s client then resolves with the response itself. */
  const emptyOk = (res: Response) => res.status(200).type("text/json").end();

  routes.get(
    `${base}/api/v2/messages`,
    async (req, res) => {
      const { start, limit } = startLimit(req);
      const found = await newest(store, start + limit);
      await sendPage(res, store.messageCount, start, found.slice(start));
    },
    basic,
  );

  routes.get(
    `${base}/api/v2/search`,
    async (req, res) => {
      const { start, limit } = startLimit(req);
      const kind = queryValue(req, "kind");
      if (kind !== "from" && kind !== "to" && kind !== "containing") {
        throw new InvalidParameterError(
          "kind",
          `Invalid "kind": expected from, to or containing, got ${JSON.stringify(kind)}`,
        );
      }
      const query = queryValue(req, "query").toLowerCase();
      if (query === "") throw new InvalidParameterError("query", 'Missing "query"');
      const matched: MessageSummary[] = [];
      for await (const summary of allSummaries(store))
        if (await matches(store, summary, kind, query)) matched.push(summary);
      await sendPage(res, matched.length, start, matched.slice(start, start + limit));
    },
    basic,
  );

  routes.get(
    `${base}/api/v1/messages`,
    async (_req, res) => sendJsonParts(res, jsonListParts(toMailhog(await newest(store, V1_LIST_LIMIT)))),
    basic,
  );

  routes.delete(
    `${base}/api/v1/messages`,
    async (_req, res) => {
      await store.deleteAll();
      emptyOk(res);
    },
    basic,
  );

  routes.get(
    `${base}/api/v1/messages/:id`,
    async (req, res) => void res.json(await one(pathParam(req, "id"))),
    basic,
  );

  routes.delete(
    `${base}/api/v1/messages/:id`,
    async (req, res) => {
      const id = pathParam(req, "id");
      if (!(await store.deleteMessage(id)))
        throw new NotFoundError(`No message with id ${JSON.stringify(id)}`);
      emptyOk(res);
    },
    basic,
  );

  routes.get(
    `${base}/api/v1/messages/:id/download`,
    async (req, res) => {
      const id = pathParam(req, "id");
      const raw =
        (await store.readRaw(id)) ??
        throwError(new NotFoundError(`No message with id ${JSON.stringify(id)}`));
      res.setHeader("Content-Type", "message/rfc822");
      res.setHeader("Content-Disposition", attachmentDisposition(`${id}.eml`, `${id}.eml`));
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      await sendStream(req, res, raw);
    },
    { basicAuth: true, queryToken: true },
  );

  routes.get(
    `${base}/api/v1/messages/:id/mime/part/:part/download`,
    async (req, res) => {
      const message = await one(pathParam(req, "id"));
      const index = goAtoi(pathParam(req, "part"));
      const part = index === null ? undefined : message.MIME?.Parts[index];
      if (!part)
        throw new NotFoundError(
          `Message ${message.ID} has no MIME part ${JSON.stringify(pathParam(req, "part"))}`,
        );
      const encoding = (headerValue(part.Headers, "content-transfer-encoding") ?? "").toLowerCase();
      // MailHog copies every header of the part into the response; only its type is safe to copy.
      res.setHeader(
        "Content-Type",
        safeContentType(headerValue(part.Headers, "content-type") ?? "application/octet-stream"),
      );
      res.setHeader(
        "Content-Disposition",
        attachmentDisposition(null, `${message.ID}-part-${pathParam(req, "part")}`),
      );
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      res.send(encoding === "base64" ? Buffer.from(part.Body, "base64") : Buffer.from(part.Body, "utf8"));
    },
    { basicAuth: true, queryToken: true },
  );
}

/** `start` and `limit` as MailHog's `getStartLimit` reads them: positive integers, `limit` at most 250. */
function startLimit(req: Request): { start: number; limit: number } {
  const start = goAtoi(queryValue(req, "start"));
  const limit = goAtoi(queryValue(req, "limit"));
  return {
    start: start !== null && start > 0 ? start : 0,
    limit: limit !== null && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
  };
}

/** The newest `count` summaries. */
async function newest(store: MessageStore, count: number): Promise<MessageSummary[]> {
  const found: MessageSummary[] = [];
  if (count <= 0) return found;
  for await (const summary of allSummaries(store)) {
    found.push(summary);
    if (found.length >= count) break;
  }
  return found;
}

/**
 * MailHog's in-memory search (mailhog/storage memory.go): `from` and `to` look at the envelope,
 * then at the From and To headers; `containing` at every header and the body. Case-insensitive
 * substrings. Unlike MailHog, which reads the still-encoded source, bodies are matched decoded
 * (text and HTML): a word a quoted-printable line break or base64 hides from MailHog is found here.
 */
async function matches(
  store: MessageStore,
  summary: MessageSummary,
  kind: SearchKind,
  query: string,
): Promise<boolean> {
  const has = (text: string | null | undefined) => (text ?? "").toLowerCase().includes(query);
  if (kind === "from" && has(summary.mailFrom)) return true;
  if (kind === "to" && summary.rcptTo.some(has)) return true;
  const message = await store.get(summary.id);
  if (message === null) return false;
  const header = (name: string) =>
    message.headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
  if (kind === "from") return header("from").some(has);
  if (kind === "to") return header("to").some(has);
  // MAIL FROM too: MailHog's headers include the `Return-Path` it adds.
  return (
    message.headers.some((h) => has(h.value)) ||
    has(message.text) ||
    has(message.html) ||
    has(message.envelope.mailFrom)
  );
}

function headerValue(headers: Record<string, string[]>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key]?.[0];
}

function throwError(error: Error): never {
  throw error;
}
