import {
  ATTACHMENT_ID_PATTERN,
  DEFAULT_LIMIT,
  DEFAULT_WAIT_COUNT,
  DEFAULT_WAIT_TIMEOUT_MS,
  FILTER_PARAMETERS,
  MAX_WAIT_LIMIT,
  MESSAGE_ID_PATTERN,
} from "@mailnest/protocol";
import { SERVER_VERSION } from "../../version.js";
import { compatPaths, compatSchemas, compatSecuritySchemes, compatTags } from "./compat.js";
import { dnsPaths, dnsTag } from "./dns.js";
import { faultPaths, faultTag } from "./faults.js";
import { integrationPaths, integrationTags } from "./integrations.js";
import { integrityPaths, messageDamaged } from "./integrity.js";
import { reportPaths, reportTag } from "./reports.js";
import {
  bodyErrors,
  commonErrors,
  json,
  param,
  queryParameter,
  ref,
  response,
  string,
  wireSchemas,
} from "./schema.js";
import type { JsonSchema, OpenApiDocument, Operation, Parameter, ResponseObject } from "./types.js";

/**
 * `GET /api/openapi.json`: the machine-readable twin of docs/api.md. `document.test.ts` checks that
 * it lists exactly the routes the app registers.
 */

const noContent: ResponseObject = { description: "Done; no body" };
const readBody = (required: boolean) => ({
  required,
  content: { "application/json": { schema: ref("ReadStateRequest") } },
});

const filterParameters = FILTER_PARAMETERS.map(param);
const queryToken = { security: [{ bearer: [] }, { queryToken: [] }, {}] };

function operation(spec: Operation): Operation {
  return { ...spec, responses: { ...spec.responses, ...commonErrors } };
}

const queryOnly = (name: string, description: string, schema: JsonSchema = string): Parameter => ({
  name,
  in: "query",
  description,
  schema,
});

/** `{ error: { code, message } }` with `code` one of these. */
const errorBody = (...codes: string[]): JsonSchema => ({
  type: "object",
  properties: {
    error: {
      allOf: [ref("ErrorObject"), { type: "object", properties: { code: { enum: codes } } }],
    },
  },
  required: ["error"],
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
    reportTag,
    ...integrationTags,
    dnsTag,
    ...compatTags,
  ],
  security: [{ bearer: [] }, {}],
  paths: {
    ...faultPaths,
    ...reportPaths,
    ...integrationPaths,
    ...dnsPaths,
    ...integrityPaths,
    ...compatPaths,
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
    "/api/clock": {
      get: operation({
        operationId: "getClock",
        summary: "The server's clock (ms since the epoch, sub-millisecond), for the `after` filter",
        tags: ["service"],
        responses: { "200": json(ref("ServerClock"), "Now, on the server's clock") },
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
    "/livez": {
      get: operation({
        operationId: "getLivez",
        summary: "Liveness probe: `ok` while the process serves; needs no token and says nothing else",
        tags: ["service"],
        security: [{}],
        responses: { "200": { description: "Alive", content: { "text/plain": { schema: string } } } },
      }),
    },
    "/readyz": {
      get: operation({
        operationId: "getReadyz",
        summary: "Readiness probe: `ok` until shutdown begins, then 503 `closing`; needs no token",
        tags: ["service"],
        security: [{}],
        responses: {
          "200": { description: "Ready", content: { "text/plain": { schema: string } } },
          "503": { description: "Shutting down", content: { "text/plain": { schema: string } } },
        },
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
          "200": json(ref("InboxList"), "The inboxes"),
        },
      }),
      post: operation({
        operationId: "createInbox",
        summary: "Create an inbox with a new unique address",
        tags: ["inboxes"],
        requestBody: {
          required: false,
          content: { "application/json": { schema: ref("CreateInboxRequest") } },
        },
        responses: {
          "201": json(
            ref("CreatedInbox"),
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
          "200": json(ref("DeletedCount"), "How many were removed"),
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
        requestBody: readBody(false),
        responses: {
          "200": json(ref("UpdatedCount"), "How many messages changed"),
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
        parameters: [
          param("address"),
          param("count"),
          param("waitLimit"),
          param("timeout"),
          ...filterParameters,
        ],
        responses: {
          "200": json(ref("WaitResponse"), "The first `count` matches (up to `limit` when more were there)"),
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
        parameters: [param("count"), param("waitLimit"), param("timeout"), ...filterParameters],
        responses: {
          "200": json(ref("WaitResponse"), "The first `count` matches (up to `limit` when more were there)"),
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
        responses: { "200": json(ref("DeletedCount"), "How many were removed") },
      }),
    },
    "/api/messages/{id}": {
      get: operation({
        operationId: "getMessage",
        summary: "The full parsed message",
        tags: ["messages"],
        parameters: [param("id")],
        responses: {
          "200": json(ref("StoredMessage"), "The message"),
          "404": response("NotFound"),
          "503": response("StorageUnavailable"),
        },
      }),
      patch: operation({
        operationId: "updateMessage",
        summary: "Set the read flag",
        tags: ["messages"],
        parameters: [param("id")],
        requestBody: readBody(true),
        responses: {
          "200": json(ref("MessageSummary"), "The updated summary"),
          "400": response("BadRequest"),
          "404": response("NotFound"),
          "503": response("StorageUnavailable"),
          ...bodyErrors,
        },
      }),
      delete: operation({
        operationId: "deleteMessage",
        summary: "Delete one message from every inbox",
        tags: ["messages"],
        parameters: [param("id")],
        responses: { "204": noContent, "404": response("NotFound"), "503": response("StorageUnavailable") },
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
          "500": messageDamaged,
          "503": response("StorageUnavailable"),
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
          "503": response("StorageUnavailable"),
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
          "503": response("StorageUnavailable"),
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
          "200": json(ref("HeaderList"), "The headers"),
          "404": response("NotFound"),
          "503": response("StorageUnavailable"),
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
          "500": messageDamaged,
          "503": response("StorageUnavailable"),
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
      ...compatSecuritySchemes,
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
      limit: queryParameter("ListParams", "limit", { type: "integer", default: DEFAULT_LIMIT }),
      cursor: queryParameter("ListParams", "cursor"),
      ...Object.fromEntries(
        FILTER_PARAMETERS.map((name) => [name, queryParameter("MessageFilterParams", name)]),
      ),
      count: queryParameter("WaitParams", "count", { type: "integer", default: DEFAULT_WAIT_COUNT }),
      timeout: queryParameter("WaitParams", "timeout", { type: "integer", default: DEFAULT_WAIT_TIMEOUT_MS }),
      // Named apart from the list's `limit`, whose default and range differ.
      waitLimit: queryParameter("WaitParams", "limit", { type: "integer", maximum: MAX_WAIT_LIMIT }),
      download: queryOnly("download", "1 or true: add Content-Disposition: attachment", string),
      token: queryOnly("token", "The API token, where no Authorization header can be sent"),
    },
    responses: {
      BadRequest: json(
        errorBody("invalid_parameter", "invalid_json", "malformed_request"),
        "A parameter or the body is malformed; `parameter` names it",
      ),
      Unauthorized: json(errorBody("unauthorized"), "The server has --api-token and the request lacks it"),
      Forbidden: json(
        errorBody("forbidden"),
        "The Host header is not a loopback name while the server listens on loopback (DNS rebinding)",
      ),
      NotFound: json(errorBody("not_found"), "Unknown route, inbox, message or attachment"),
      WaitTimeout: json(
        ref("WaitTimeoutErrorBody"),
        "The wait ran out; re-issue it with the same `since` to keep waiting",
      ),
      PayloadTooLarge: json(errorBody("payload_too_large"), "Request body above 1 MiB"),
      UnsupportedMediaType: json(errorBody("unsupported_media_type"), "A request body that is not JSON"),
      ShuttingDown: json(errorBody("shutting_down"), "The server is closing"),
      StorageUnavailable: json(
        errorBody("storage_unavailable"),
        "The storage cannot be reached for now (the PostgreSQL database is down or restarting); retry later",
      ),
    },
    schemas: { ...wireSchemas, ...compatSchemas },
  },
};
