import type { Request } from "express";
import type { StoredMessage } from "../../../store/model.js";
import type { ApiDeps } from "../../deps.js";
import type { ApiRoutes } from "../../http/api-routes.js";
import { attachmentDisposition } from "../../http/content-disposition.js";
import { NotFoundError } from "../../http/errors.js";
import { safeContentType } from "../../http/safe-content-type.js";
import { UNTRUSTED_CONTENT_CSP } from "../../http/security-headers.js";
import { sendStream } from "../../http/send-stream.js";
import { goAtoi, pathParam } from "../peer-request.js";
import { PEER_HTML_CSP, publicBase } from "../peer-response.js";
import { collectSummaries } from "../peer-store.js";
import { type MaildevEmail, maildevAttachments, maildevEmail } from "./maildev-email.js";

/**
 * MailDev 2's REST routes (maildev/maildev v2.2.1, lib/routes.js) under `base`: `/maildev` always,
 * the root too with `--compat maildev` (on by default). `GET /email` lists every email in full,
 * oldest first, as MailDev does: cypress-maildev takes the last one as the newest.
 */
export function maildevRoutes(routes: ApiRoutes, { store }: ApiDeps, base: string): void {
  const basic = { basicAuth: true } as const;
  const link = { basicAuth: true, queryToken: true } as const;

  const email = async (id: string | undefined): Promise<StoredMessage> =>
    (await store.get(id ?? "")) ?? throwError(new NotFoundError("Email was not found"));

  routes.get(
    `${base}/email`,
    async (req, res) => {
      const { skip, filters } = listQuery(req);
      const summaries = (await collectSummaries(store)).reverse();
      const emails: MaildevEmail[] = [];
      for (const summary of summaries) {
        const message = await store.get(summary.id);
        if (message === null) continue;
        const json = maildevEmail(message, publicBase(res, base));
        if (filters.every(([key, wanted]) => matchesFilter(json, key, wanted))) emails.push(json);
      }
      res.json(emails.slice(skip));
    },
    basic,
  );

  routes.patch(
    `${base}/email/read-all`,
    async (_req, res) => void res.json(await store.setInboxRead(null, true)),
    basic,
  );

  routes.delete(
    `${base}/email/all`,
    async (_req, res) => {
      await store.deleteAll();
      res.json(true);
    },
    basic,
  );

  routes.get(
    `${base}/email/:id`,
    async (req, res) => {
      const message = await email(pathParam(req, "id"));
      await store.setRead(message.id, true); // MailDev marks an email read when a client fetches it.
      res.json({ ...maildevEmail(message, publicBase(res, base)), read: true });
    },
    basic,
  );

  routes.delete(
    `${base}/email/:id`,
    async (req, res) => {
      if (!(await store.deleteMessage(pathParam(req, "id")))) throw new NotFoundError("Email not found");
      res.json(true);
    },
    basic,
  );

  routes.get(
    `${base}/email/:id/html`,
    async (req, res) => {
      const message = await email(pathParam(req, "id"));
      const attachments = maildevAttachments(message.attachments);
      let html = message.html ?? ""; // MailDev answers 200 with nothing for an email without HTML.
      for (const attachment of attachments) {
        if (!attachment.contentId) continue;
        const cid = attachment.contentId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const url = `${publicBase(res, base)}/email/${message.id}/attachment/${encodeURIComponent(attachment.generatedFileName)}`;
        html = html.replace(new RegExp(`src=("|')cid:${cid}("|')`, "g"), `src="${url}"`);
      }
      res.setHeader("Content-Security-Policy", PEER_HTML_CSP);
      res.type("text/html; charset=utf-8").send(html);
    },
    link,
  );

  routes.get(
    `${base}/email/:id/attachment/:filename`,
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
    link,
  );

  for (const [route, download] of [
    ["download", true],
    ["source", false],
  ] as const) {
    routes.get(
      `${base}/email/:id/${route}`,
      async (req, res) => {
        const id = pathParam(req, "id");
        const raw = await store.readRaw(id);
        if (raw === null) throw new NotFoundError("File not found");
        res.setHeader("Content-Type", download ? "message/rfc822" : "text/plain; charset=utf-8");
        if (download) res.setHeader("Content-Disposition", attachmentDisposition(`${id}.eml`, `${id}.eml`));
        res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
        await sendStream(req, res, raw);
      },
      link,
    );
  }

  routes.get(`${base}/healthz`, (_req, res) => void res.json(true), basic);
}

/** `skip`, and every other parameter a filter in MailDev's dot notation (`from.address=…`). */
function listQuery(req: Request): { skip: number; filters: Array<[string, string]> } {
  let skip = 0;
  const filters: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(req.query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first !== "string") continue;
    if (key === "skip") skip = Math.max(goAtoi(first) ?? 0, 0);
    else filters.push([key, first]);
  }
  return { skip, filters };
}

/** MailDev's `filterEmails`: the value at the dotted path equals the parameter, or an array of values includes it. */
function matchesFilter(email: MaildevEmail, key: string, wanted: string): boolean {
  const value = lookup(email, key.split("."));
  return Array.isArray(value) ? value.includes(wanted) : value === wanted;
}

function lookup(value: unknown, keys: readonly string[]): unknown {
  const [first, ...rest] = keys;
  if (first === undefined || typeof value !== "object" || value === null) return undefined;
  const base = (value as Record<string, unknown>)[first];
  if (!base) return undefined;
  if (rest.length === 0) return base;
  return Array.isArray(base) ? base.map((item) => lookup(item, rest)) : lookup(base, rest);
}

function throwError(error: Error): never {
  throw error;
}
