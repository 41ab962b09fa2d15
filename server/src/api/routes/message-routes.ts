import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { attachmentDisposition } from "../http/content-disposition.js";
import { NotFoundError } from "../http/errors.js";
import { safeContentType } from "../http/safe-content-type.js";
import { MESSAGE_HTML_CSP, UNTRUSTED_CONTENT_CSP } from "../http/security-headers.js";
import { sendStream } from "../http/send-stream.js";
import { addressParam, attachmentIdParam, messageIdParam, parseListQuery, parseReadBody } from "./params.js";

/** `/api/messages…` and an inbox's message list (docs/api.md, "Messages"). */
export function messageRoutes(routes: ApiRoutes, { store }: ApiDeps): void {
  const noMessage = (id: string) => new NotFoundError(`No message with id ${JSON.stringify(id)}`);
  const message = async (id: unknown) => {
    const messageId = messageIdParam(id);
    return (await store.get(messageId)) ?? throwError(noMessage(messageId));
  };

  routes.get("/api/messages", async (req, res) => {
    res.json(await store.list(parseListQuery(req.query)));
  });

  routes.get("/api/inboxes/:address/messages", async (req, res) => {
    const inbox = addressParam(req.params.address);
    res.json(await store.list({ ...parseListQuery(req.query), inbox }));
  });

  routes.delete("/api/messages", async (_req, res) => {
    res.json({ deleted: await store.deleteAll() });
  });

  routes.get("/api/messages/:id", async (req, res) => {
    res.json(await message(req.params.id));
  });

  routes.patch("/api/messages/:id", async (req, res) => {
    const id = messageIdParam(req.params.id);
    const read = parseReadBody(req.body);
    res.json((await store.setRead(id, read)) ?? throwError(noMessage(id)));
  });

  routes.delete("/api/messages/:id", async (req, res) => {
    const id = messageIdParam(req.params.id);
    if (!(await store.deleteMessage(id))) throw noMessage(id);
    res.status(204).end();
  });

  routes.get(
    "/api/messages/:id/raw",
    async (req, res) => {
      const id = messageIdParam(req.params.id);
      const raw = (await store.readRaw(id)) ?? throwError(noMessage(id));
      res.setHeader("Content-Type", "message/rfc822");
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      if (req.query.download === "1" || req.query.download === "true") {
        res.setHeader("Content-Disposition", attachmentDisposition(`${id}.eml`, `${id}.eml`));
      }
      await sendStream(req, res, raw);
    },
    { queryToken: true },
  );

  routes.get(
    "/api/messages/:id/html",
    async (req, res) => {
      const { id, html } = await message(req.params.id);
      if (html === null) throw new NotFoundError(`Message ${id} has no HTML body`);
      res.setHeader("Content-Security-Policy", MESSAGE_HTML_CSP);
      res.type("text/html; charset=utf-8").send(html);
    },
    { queryToken: true },
  );

  routes.get(
    "/api/messages/:id/text",
    async (req, res) => {
      const { id, text } = await message(req.params.id);
      if (text === null) throw new NotFoundError(`Message ${id} has no text body`);
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      res.type("text/plain; charset=utf-8").send(text);
    },
    { queryToken: true },
  );

  routes.get("/api/messages/:id/headers", async (req, res) => {
    res.json({ headers: (await message(req.params.id)).headers });
  });

  routes.get(
    "/api/messages/:id/attachments/:attachmentId",
    async (req, res) => {
      const id = messageIdParam(req.params.id);
      const attachmentId = attachmentIdParam(id, req.params.attachmentId);
      const found = await store.readAttachment(id, attachmentId);
      if (!found) throw new NotFoundError(`Message ${id} has no attachment ${attachmentId}`);
      res.setHeader("Content-Type", safeContentType(found.meta.contentType));
      res.setHeader("Content-Disposition", attachmentDisposition(found.meta.filename, attachmentId));
      res.setHeader("Content-Security-Policy", UNTRUSTED_CONTENT_CSP);
      await sendStream(req, res, found.content);
    },
    { queryToken: true },
  );
}

function throwError(error: Error): never {
  throw error;
}
