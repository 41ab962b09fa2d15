import { ATTACHMENT_ID_PATTERN, MESSAGE_ID_PATTERN } from "../store/model.js";
import { faultPaths, faultSchemas, faultTag } from "./openapi-faults.js";
import {
  bodyErrors,
  commonErrors,
  dateTime,
  json,
  nullable,
  object,
  param,
  ref,
  response,
  string,
} from "./openapi-schema.js";
import type { JsonSchema, OpenApiDocument, Operation, Parameter, ResponseObject } from "./openapi-types.js";
import {
  DEFAULT_LIMIT,
  DEFAULT_WAIT_COUNT,
  DEFAULT_WAIT_TIMEOUT_MS,
  MAX_INBOX_TTL_MS,
  MAX_LIMIT,
  MAX_WAIT_COUNT,
} from "./params.js";
import { SERVER_VERSION } from "./version.js";

/**
 * `GET /api/openapi.json`: the machine-readable twin of docs/api.md. `openapi.test.ts` checks that
 * it lists exactly the routes the app registers.
 */

const integer: JsonSchema = { type: "integer", minimum: 0 };
const noContent: ResponseObject = { description: "Done; no body" };
const readBody = (description: string, required: boolean) => ({
  required,
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: { read: { type: "boolean", description } },
        ...(required ? { required: ["read"] } : {}),
        additionalProperties: false,
      } satisfies JsonSchema,
    },
  },
});

const filterParameters = ["from", "to", "subject", "text", "hasAttachment", "authUser", "since"].map(param);
const queryToken = { security: [{ bearer: [] }, { queryToken: [] }, {}] };

function operation(spec: Operation): Operation {
  return { ...spec, responses: { ...spec.responses, ...commonErrors } };
}

const filterParameter = (name: string, description: string, schema: JsonSchema = string): Parameter => ({
  name,
  in: "query",
  description,
  schema,
});

const addressSchema: JsonSchema = {
  type: "string",
  description: "A normalized email address: the inbox key",
  examples: ["signup-4f2a@mailnest.test"],
};

const address = object({ name: string, address: string });

const messageSummary: JsonSchema = object(
  {
    id: { type: "string", pattern: MESSAGE_ID_PATTERN.source, description: "26-character lowercase ULID" },
    sequence: { type: "integer", minimum: 1, description: "Monotonic per store, never reused" },
    inboxes: { type: "array", items: addressSchema },
    mailFrom: { type: "string", description: 'MAIL FROM ("" for the null sender)' },
    rcptTo: { type: "array", items: string },
    messageId: nullable(string),
    subject: string,
    from: { type: "array", items: ref("Address") },
    to: { type: "array", items: ref("Address") },
    cc: { type: "array", items: ref("Address") },
    date: nullable(dateTime),
    receivedAt: dateTime,
    size: { ...integer, description: "Bytes of the raw message" },
    sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    attachmentCount: integer,
    authUser: nullable(string),
    tls: { type: "boolean" },
    read: { type: "boolean" },
    snippet: { type: "string", description: "The first ~200 characters of the body text" },
    parseError: nullable(string),
  },
  "A message without bodies or headers",
);

const storedMessage: JsonSchema = {
  description: "The full parsed message",
  allOf: [
    ref("MessageSummary"),
    object({
      envelope: ref("Envelope"),
      headers: { type: "array", items: ref("HeaderLine") },
      bcc: { type: "array", items: ref("Address") },
      replyTo: { type: "array", items: ref("Address") },
      text: nullable(string),
      html: nullable(string),
      attachments: { type: "array", items: ref("AttachmentMeta") },
      links: { type: "array", items: ref("Link") },
    }),
  ],
};

const errorSchema = (code: JsonSchema, extra: Record<string, JsonSchema> = {}, required: string[] = []) =>
  object({
    error: {
      type: "object",
      properties: { code, message: string, ...extra },
      required: ["code", "message", ...required],
    },
  });

export const openApiDocument: OpenApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Mailnest API",
    version: SERVER_VERSION,
    description:
      "Captured mail over REST, race-free long-poll waits and live events (WebSocket at /api/events, " +
      "not described here: see docs/api.md). Every error is `{ error: { code, message } }`.",
    license: { name: "MIT", identifier: "MIT" },
  },
  tags: [
    { name: "service", description: "Health, this document, metrics" },
    { name: "inboxes", description: "One inbox per normalized envelope recipient" },
    { name: "messages", description: "Captured messages, their bodies and attachments" },
    { name: "waits", description: "Long-poll until matching mail arrives" },
    faultTag,
  ],
  security: [{ bearer: [] }, {}],
  paths: {
    ...faultPaths,
    "/api/health": {
      get: operation({
        operationId: "getHealth",
        summary: "Liveness, readiness and counts",
        tags: ["service"],
        responses: {
          "200": json(ref("Health"), "Ready"),
          "503": json(ref("Health"), "Shutting down"),
        },
      }),
    },
    "/api/openapi.json": {
      get: operation({
        operationId: "getOpenApiDocument",
        summary: "This document",
        tags: ["service"],
        responses: { "200": json({ type: "object" }, "The OpenAPI 3.1 document") },
      }),
    },
    "/metrics": {
      get: operation({
        operationId: "getMetrics",
        summary: "Prometheus metrics",
        tags: ["service"],
        responses: {
          "200": {
            description: "Text exposition format 0.0.4",
            content: { "text/plain": { schema: string } },
          },
          "404": response("NotFound"),
        },
      }),
    },
    "/api/inboxes": {
      get: operation({
        operationId: "listInboxes",
        summary: "Every inbox, most recently active first",
        tags: ["inboxes"],
        responses: {
          "200": json(object({ inboxes: { type: "array", items: ref("InboxInfo") } }), "The inboxes"),
        },
      }),
      post: operation({
        operationId: "createInbox",
        summary: "Create an inbox with a new unique address",
        tags: ["inboxes"],
        requestBody: {
          required: false,
          content: {
            "application/json": {
              schema: {
                type: "object",
                additionalProperties: false,
                properties: {
                  prefix: {
                    type: "string",
                    pattern: "^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?$",
                    default: "t",
                  },
                  domain: { type: "string", description: "Defaults to the server's --domain" },
                  ttl: {
                    type: "integer",
                    minimum: 1,
                    maximum: MAX_INBOX_TTL_MS,
                    description: "Milliseconds until the inbox and its mail are deleted",
                  },
                },
              },
            },
          },
        },
        responses: {
          "201": json(
            {
              allOf: [
                ref("InboxInfo"),
                object({ head: { ...integer, description: "Store head at creation" } }),
              ],
            },
            "The new inbox; pass `head` as `since` to wait only for mail that arrives later",
          ),
          "400": response("BadRequest"),
          ...bodyErrors,
        },
      }),
    },
    "/api/inboxes/{address}": {
      get: operation({
        operationId: "getInbox",
        summary: "One inbox",
        tags: ["inboxes"],
        parameters: [param("address")],
        responses: {
          "200": json(ref("InboxInfo"), "The inbox"),
          "400": response("BadRequest"),
          "404": response("NotFound"),
        },
      }),
      delete: operation({
        operationId: "deleteInbox",
        summary: "Clear and forget an inbox",
        tags: ["inboxes"],
        parameters: [param("address")],
        responses: { "204": noContent, "400": response("BadRequest"), "404": response("NotFound") },
      }),
    },
    "/api/inboxes/{address}/messages": {
      get: operation({
        operationId: "listInboxMessages",
        summary: "One inbox's messages, newest first (an inbox never seen is empty)",
        tags: ["messages"],
        parameters: [param("address"), param("limit"), param("cursor"), ...filterParameters],
        responses: { "200": json(ref("MessagePage"), "A page of summaries"), "400": response("BadRequest") },
      }),
      delete: operation({
        operationId: "clearInbox",
        summary: "Delete an inbox's messages (a message listed in other inboxes stays there)",
        tags: ["inboxes"],
        parameters: [param("address")],
        responses: {
          "200": json(object({ deleted: integer }), "How many were removed"),
          "400": response("BadRequest"),
        },
      }),
    },
    "/api/inboxes/{address}/read": {
      post: operation({
        operationId: "markInboxRead",
        summary: "Mark every message in the inbox read (or unread)",
        tags: ["inboxes"],
        parameters: [param("address")],
        requestBody: readBody("Default true", false),
        responses: {
          "200": json(object({ updated: integer }), "How many messages changed"),
          "400": response("BadRequest"),
          ...bodyErrors,
        },
      }),
    },
    "/api/inboxes/{address}/wait": {
      get: operation({
        operationId: "waitForInboxMessages",
        summary: "Wait until the inbox holds `count` matching messages with sequence > `since`",
        tags: ["waits"],
        parameters: [param("address"), param("count"), param("timeout"), ...filterParameters],
        responses: {
          "200": json(ref("WaitResult"), "The first `count` matches"),
          "400": response("BadRequest"),
          "408": response("WaitTimeout"),
          "503": response("ShuttingDown"),
        },
      }),
    },
    "/api/wait": {
      get: operation({
        operationId: "waitForMessages",
        summary: "Wait across all inboxes (narrow with `to`)",
        tags: ["waits"],
        parameters: [param("count"), param("timeout"), ...filterParameters],
        responses: {
          "200": json(ref("WaitResult"), "The first `count` matches"),
          "400": response("BadRequest"),
          "408": response("WaitTimeout"),
          "503": response("ShuttingDown"),
        },
      }),
    },
    "/api/messages": {
      get: operation({
        operationId: "listMessages",
        summary: "Messages of every inbox, newest first",
        tags: ["messages"],
        parameters: [param("limit"), param("cursor"), ...filterParameters],
        responses: { "200": json(ref("MessagePage"), "A page of summaries"), "400": response("BadRequest") },
      }),
      delete: operation({
        operationId: "deleteAllMessages",
        summary: "Delete every message",
        tags: ["messages"],
        responses: { "200": json(object({ deleted: integer }), "How many were removed") },
      }),
    },
    "/api/messages/{id}": {
      get: operation({
        operationId: "getMessage",
        summary: "The full parsed message",
        tags: ["messages"],
        parameters: [param("id")],
        responses: { "200": json(ref("StoredMessage"), "The message"), "404": response("NotFound") },
      }),
      patch: operation({
        operationId: "updateMessage",
        summary: "Set the read flag",
        tags: ["messages"],
        parameters: [param("id")],
        requestBody: readBody("The new read flag", true),
        responses: {
          "200": json(ref("MessageSummary"), "The updated summary"),
          "400": response("BadRequest"),
          "404": response("NotFound"),
          ...bodyErrors,
        },
      }),
      delete: operation({
        operationId: "deleteMessage",
        summary: "Delete one message from every inbox",
        tags: ["messages"],
        parameters: [param("id")],
        responses: { "204": noContent, "404": response("NotFound") },
      }),
    },
    "/api/messages/{id}/raw": {
      get: operation({
        operationId: "getMessageRaw",
        summary: "The exact bytes as received",
        tags: ["messages"],
        parameters: [param("id"), param("download"), param("token")],
        ...queryToken,
        responses: {
          "200": {
            description: "RFC 5322 message",
            content: { "message/rfc822": { schema: { type: "string", format: "binary" } } },
          },
          "404": response("NotFound"),
        },
      }),
    },
    "/api/messages/{id}/html": {
      get: operation({
        operationId: "getMessageHtml",
        summary: "The HTML body, sandboxed by Content-Security-Policy (no scripts, no remote content)",
        tags: ["messages"],
        parameters: [param("id"), param("token")],
        ...queryToken,
        responses: {
          "200": { description: "The HTML body", content: { "text/html": { schema: string } } },
          "404": response("NotFound"),
        },
      }),
    },
    "/api/messages/{id}/text": {
      get: operation({
        operationId: "getMessageText",
        summary: "The text body",
        tags: ["messages"],
        parameters: [param("id"), param("token")],
        ...queryToken,
        responses: {
          "200": { description: "The text body", content: { "text/plain": { schema: string } } },
          "404": response("NotFound"),
        },
      }),
    },
    "/api/messages/{id}/headers": {
      get: operation({
        operationId: "getMessageHeaders",
        summary: "Every header line in order, repeats kept",
        tags: ["messages"],
        parameters: [param("id")],
        responses: {
          "200": json(object({ headers: { type: "array", items: ref("HeaderLine") } }), "The headers"),
          "404": response("NotFound"),
        },
      }),
    },
    "/api/messages/{id}/attachments/{attachmentId}": {
      get: operation({
        operationId: "getAttachment",
        summary: "An attachment's decoded content as a download",
        tags: ["messages"],
        parameters: [param("id"), param("attachmentId"), param("token")],
        ...queryToken,
        responses: {
          "200": {
            description: "The content, with the content type stored for it",
            headers: {
              "Content-Disposition": {
                description:
                  "attachment; filename=\"ASCII fallback\"; filename*=UTF-8''percent-encoded (RFC 6266)",
                schema: string,
              },
            },
            content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
          },
          "404": response("NotFound"),
        },
      }),
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        description: "Only when the server runs with --api-token",
      },
      queryToken: {
        type: "apiKey",
        in: "query",
        name: "token",
        description: "The same token, for links a browser opens itself (raw, html, text, attachments)",
      },
    },
    parameters: {
      address: {
        name: "address",
        in: "path",
        required: true,
        description: "The inbox address, URL-encoded; normalized by the server",
        schema: string,
      },
      id: {
        name: "id",
        in: "path",
        required: true,
        description: "Message id; anything not matching the pattern is 404",
        schema: { type: "string", pattern: MESSAGE_ID_PATTERN.source },
      },
      attachmentId: {
        name: "attachmentId",
        in: "path",
        required: true,
        description: "Attachment id from the message's `attachments`",
        schema: { type: "string", pattern: ATTACHMENT_ID_PATTERN.source },
      },
      limit: filterParameter("limit", "Page size", {
        type: "integer",
        minimum: 1,
        maximum: MAX_LIMIT,
        default: DEFAULT_LIMIT,
      }),
      cursor: filterParameter("cursor", "`nextCursor` of the previous page"),
      from: filterParameter("from", "Case-insensitive substring of the From header or MAIL FROM"),
      to: filterParameter("to", "Case-insensitive substring of a recipient"),
      subject: filterParameter("subject", "Case-insensitive substring of the subject"),
      text: filterParameter("text", "Case-insensitive substring of the text or HTML body"),
      hasAttachment: filterParameter(
        "hasAttachment",
        "Only messages with (true) or without (false) attachments",
        {
          type: "boolean",
        },
      ),
      authUser: filterParameter("authUser", "SMTP AUTH user name, exact"),
      since: filterParameter("since", "Only messages with sequence > since", integer),
      count: filterParameter("count", "How many matching messages to wait for", {
        type: "integer",
        minimum: 1,
        maximum: MAX_WAIT_COUNT,
        default: DEFAULT_WAIT_COUNT,
      }),
      timeout: filterParameter("timeout", "Milliseconds; capped at the server's --max-wait (default 30000)", {
        ...integer,
        default: DEFAULT_WAIT_TIMEOUT_MS,
      }),
      download: filterParameter("download", "1 or true: add Content-Disposition: attachment", string),
      token: filterParameter("token", "The API token, where no Authorization header can be sent"),
    },
    responses: {
      BadRequest: json(
        errorSchema({ enum: ["invalid_parameter", "invalid_json"] }, { parameter: string }),
        "A parameter or the body is malformed; `parameter` names it",
      ),
      Unauthorized: json(
        errorSchema({ const: "unauthorized" }),
        "The server has --api-token and the request lacks it",
      ),
      Forbidden: json(
        errorSchema({ const: "forbidden" }),
        "The Host header is not a loopback name while the server listens on loopback (DNS rebinding)",
      ),
      NotFound: json(errorSchema({ const: "not_found" }), "Unknown route, inbox, message or attachment"),
      WaitTimeout: json(
        errorSchema(
          { const: "wait_timeout" },
          {
            matched: { ...integer, description: "Matching messages found (fewer than count)" },
            inboxCount: { ...integer, description: "Messages in the inbox (or the store, for /api/wait)" },
            recent: { type: "array", maxItems: 5, items: ref("RecentMessage"), description: "Newest first" },
            head: integer,
          },
          ["matched", "inboxCount", "recent", "head"],
        ),
        "The wait ran out; re-issue it with the same `since` to keep waiting",
      ),
      PayloadTooLarge: json(errorSchema({ const: "payload_too_large" }), "Request body above 1 MiB"),
      UnsupportedMediaType: json(
        errorSchema({ const: "unsupported_media_type" }),
        "A request body that is not JSON",
      ),
      ShuttingDown: json(errorSchema({ const: "shutting_down" }), "The server is closing"),
    },
    schemas: {
      ...faultSchemas,
      Address: address,
      HeaderLine: object({ name: string, value: string }),
      TlsInfo: object({ protocol: string, cipher: string, implicit: { type: "boolean" } }),
      Envelope: object({
        mailFrom: string,
        rcptTo: { type: "array", items: string },
        remoteAddress: string,
        heloName: string,
        authUser: nullable(string),
        tls: nullable(ref("TlsInfo")),
        receivedAt: dateTime,
      }),
      AttachmentMeta: object({
        id: { type: "string", pattern: ATTACHMENT_ID_PATTERN.source },
        filename: nullable(string),
        contentType: string,
        size: integer,
        sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
        contentId: nullable(string),
        disposition: { enum: ["inline", "attachment"] },
      }),
      Link: object({ href: string, text: string, source: { enum: ["html", "text"] } }),
      MessageSummary: messageSummary,
      StoredMessage: storedMessage,
      MessagePage: object({
        messages: { type: "array", items: ref("MessageSummary") },
        nextCursor: nullable(string),
        head: { ...integer, description: "Store head when the page was read" },
      }),
      InboxInfo: object({
        address: addressSchema,
        messageCount: integer,
        unreadCount: integer,
        lastReceivedAt: nullable(dateTime),
        createdAt: dateTime,
        expiresAt: nullable(dateTime),
      }),
      WaitResult: object({
        messages: { type: "array", items: ref("StoredMessage"), description: "Exactly count, oldest first" },
        head: { ...integer, description: "Sequence of the last message returned: the next `since`" },
      }),
      RecentMessage: object({
        id: string,
        sequence: integer,
        subject: string,
        from: string,
        receivedAt: dateTime,
      }),
      Health: object({
        status: { enum: ["ok", "closing"] },
        ready: { type: "boolean" },
        version: string,
        head: integer,
        messages: integer,
        inboxes: integer,
        waiters: { ...integer, description: "Long-poll waits being held open" },
        smtp: object({ port: integer }),
        smtps: object({ port: { ...nullable(integer), description: "Implicit-TLS port; null when off" } }),
      }),
    },
  },
};
