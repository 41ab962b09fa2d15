import { PEER_PREFIXES } from "../http/peer-paths.js";
import { bodyErrors, commonErrors, json, nullable, object, param, ref, response, string } from "./schema.js";
import type { JsonSchema, Operation, Parameter, PathItem, ResponseObject, SecurityScheme } from "./types.js";

/**
 * The "Peer APIs" part of `GET /api/openapi.json` (docs/compatibility.md): Mailpit's, MailHog's and
 * MailDev's routes under their prefixes, merged in by `document.ts`. With `--compat`, the same
 * routes also answer at the peer's own root paths (`/api/v1/…` for `/mailpit/api/v1/…`). Their
 * schemas are the peers' shapes, written here by hand because they are the peers' contracts, not
 * Mailnest's (the protocol package generates only Mailnest's); `compat.test.ts` checks real
 * answers against them.
 */

const MAILPIT = PEER_PREFIXES.mailpit;
const MAILHOG = PEER_PREFIXES.mailhog;
const MAILDEV = PEER_PREFIXES.maildev;

export const compatTags = [
  {
    name: "mailpit",
    description: "Mailpit's API v1, for mailpit-api, cypress-mailpit and Mailpit's own tests",
  },
  {
    name: "mailhog",
    description: "MailHog's API v1 and v2, for the mailhog client, mailhog-awesome and cypress-mailhog",
  },
  {
    name: "maildev",
    description: "MailDev 2's REST routes, for cypress-maildev, and MailDev 3's under /api",
  },
];

export const compatSecuritySchemes: Record<string, SecurityScheme> = {
  basic: {
    type: "http",
    scheme: "basic",
    description:
      "The peers' routes only: the --api-token as the password, any user name (what their clients send)",
  },
};

const security = [{ bearer: [] }, { basic: [] }, {}];
const linkSecurity = [{ bearer: [] }, { basic: [] }, { queryToken: [] }, {}];

function operation(tag: string, spec: Omit<Operation, "tags">, link = false): Operation {
  return {
    ...spec,
    tags: [tag],
    security: link ? linkSecurity : security,
    responses: { ...spec.responses, ...commonErrors },
  };
}

const pathParameter = (name: string, description: string): Parameter => ({
  name,
  in: "path",
  required: true,
  description,
  schema: string,
});
const query = (name: string, description: string, schema: JsonSchema = string): Parameter => ({
  name,
  in: "query",
  description,
  schema,
});
const integer: JsonSchema = { type: "integer" };
const boolean: JsonSchema = { type: "boolean" };
const strings: JsonSchema = { type: "array", items: string };
const body = (content: string, description: string, schema: JsonSchema = string): ResponseObject => ({
  description,
  content: { [content]: { schema } },
});
const binary: JsonSchema = { type: "string", format: "binary" };
const ok = body("text/plain", "Done", { const: "ok" });
const notFound = { "404": response("NotFound") };
const badRequest = { "400": response("BadRequest") };
const jsonBody = (schema: JsonSchema) => ({ required: false, content: { "application/json": { schema } } });

const mailpitId = pathParameter("id", "A message id, or `latest` for the newest (narrowed by `query`)");
const pageParameters = [
  query("start", "Offset of the first message (default 0)", integer),
  query("limit", "How many (default 50)", integer),
  query("before", "Only messages received before this date", string),
];
const mailpitSearch = query(
  "query",
  'Mailpit\'s search syntax: `to:`, `from:`, `subject:`, `is:unread`, `tag:`, words, "phrases", `-negation`',
);
const timeZone = query("tz", "IANA time zone for dates without an offset in `after:` / `before:`");

const mailpitPaths: Record<string, PathItem> = {
  [`${MAILPIT}/api/v1/info`]: {
    get: operation("mailpit", {
      operationId: "mailpitInfo",
      summary: "Message and unread counts, tags",
      responses: { "200": json(ref("MailpitInfo"), "What Mailpit reports about itself") },
    }),
  },
  [`${MAILPIT}/api/v1/webui`]: {
    get: operation("mailpit", {
      operationId: "mailpitWebUiConfig",
      summary: "The features Mailpit's UI would show (relay, chaos, SpamAssassin: all off)",
      responses: { "200": json(ref("MailpitWebUiConfig"), "Feature flags") },
    }),
  },
  [`${MAILPIT}/api/v1/messages`]: {
    get: operation("mailpit", {
      operationId: "mailpitListMessages",
      summary: "Summaries, newest first, paged by offset",
      parameters: pageParameters,
      responses: { "200": json(ref("MailpitMessagesSummary"), "A page") },
    }),
    put: operation("mailpit", {
      operationId: "mailpitSetReadStatus",
      summary: "Mark read or unread: by IDs, by Search, or everything",
      parameters: [timeZone],
      requestBody: jsonBody(object({ Read: boolean, IDs: strings, Search: string })),
      responses: { "200": ok, ...badRequest },
    }),
    delete: operation("mailpit", {
      operationId: "mailpitDeleteMessages",
      summary: "Delete these IDs, or everything without any",
      requestBody: jsonBody(object({ IDs: strings })),
      responses: { "200": ok },
    }),
  },
  [`${MAILPIT}/api/v1/search`]: {
    get: operation("mailpit", {
      operationId: "mailpitSearch",
      summary: "Summaries matching a search, newest first",
      parameters: [{ ...mailpitSearch, required: true }, timeZone, ...pageParameters],
      responses: { "200": json(ref("MailpitMessagesSummary"), "A page of matches"), ...badRequest },
    }),
    delete: operation("mailpit", {
      operationId: "mailpitDeleteSearch",
      summary: "Delete every message matching a search",
      parameters: [{ ...mailpitSearch, required: true }, timeZone],
      responses: { "200": ok, ...badRequest },
    }),
  },
  [`${MAILPIT}/api/v1/message/{id}`]: {
    get: operation("mailpit", {
      operationId: "mailpitGetMessage",
      summary: "One message (marks it read)",
      parameters: [mailpitId, mailpitSearch, timeZone],
      responses: { "200": json(ref("MailpitMessage"), "The message"), ...notFound },
    }),
  },
  [`${MAILPIT}/api/v1/message/{id}/headers`]: {
    get: operation("mailpit", {
      operationId: "mailpitGetHeaders",
      summary: "Headers as written, by canonical name, names sorted",
      parameters: [mailpitId, mailpitSearch, timeZone],
      responses: {
        "200": json({ type: "object", additionalProperties: strings }, "Name → values"),
        ...notFound,
      },
    }),
  },
  [`${MAILPIT}/api/v1/message/{id}/raw`]: {
    get: operation(
      "mailpit",
      {
        operationId: "mailpitGetRaw",
        summary: "The message as received",
        parameters: [mailpitId, mailpitSearch, timeZone, query("dl", "`1`: as a download"), param("token")],
        responses: { "200": body("text/plain", "RFC 5322 source"), ...notFound },
      },
      true,
    ),
  },
  [`${MAILPIT}/api/v1/message/{id}/part/{partId}`]: {
    get: operation(
      "mailpit",
      {
        operationId: "mailpitGetPart",
        summary: "An attachment or inline part, by the PartID a message lists",
        parameters: [mailpitId, pathParameter("partId", "A PartID of the message"), param("token")],
        responses: { "200": body("application/octet-stream", "The decoded content", binary), ...notFound },
      },
      true,
    ),
  },
  [`${MAILPIT}/api/v1/tags`]: {
    get: operation("mailpit", {
      operationId: "mailpitListTags",
      summary: "Every tag in use, sorted",
      responses: { "200": json(strings, "Tag names") },
    }),
    put: operation("mailpit", {
      operationId: "mailpitSetTags",
      summary: "Replace the tags of these messages (none removes them)",
      requestBody: jsonBody(object({ IDs: strings, Tags: strings })),
      responses: { "200": ok },
    }),
  },
  [`${MAILPIT}/api/v1/tags/{tag}`]: {
    put: operation("mailpit", {
      operationId: "mailpitRenameTag",
      summary: "Rename a tag on every message",
      parameters: [pathParameter("tag", "The tag's current name")],
      requestBody: jsonBody(object({ Name: string })),
      responses: { "200": ok, ...badRequest },
    }),
    delete: operation("mailpit", {
      operationId: "mailpitDeleteTag",
      summary: "Remove a tag from every message (the messages stay)",
      parameters: [pathParameter("tag", "The tag")],
      responses: { "200": ok },
    }),
  },
  [`${MAILPIT}/view/{id}.html`]: {
    get: operation(
      "mailpit",
      {
        operationId: "mailpitViewHtml",
        summary: "The HTML body, inline images linked to the part route (marks it read)",
        parameters: [mailpitId, param("token")],
        responses: { "200": body("text/html", "The HTML body"), ...notFound },
      },
      true,
    ),
  },
  [`${MAILPIT}/view/{id}.txt`]: {
    get: operation(
      "mailpit",
      {
        operationId: "mailpitViewText",
        summary: "The text body (marks it read)",
        parameters: [mailpitId, param("token")],
        responses: { "200": body("text/plain", "The text body"), ...notFound },
      },
      true,
    ),
  },
};

const mailhogId = pathParameter("id", "A message id");
const mailhogPage = [
  query("start", "Offset (default 0)", integer),
  query("limit", "How many (default 50, at most 250)", integer),
];
const emptyOk: ResponseObject = { description: "Done; no body (what MailHog's clients check)" };

const mailhogPaths: Record<string, PathItem> = {
  [`${MAILHOG}/api/v2/messages`]: {
    get: operation("mailhog", {
      operationId: "mailhogListMessages",
      summary: "Messages, newest first",
      parameters: mailhogPage,
      responses: { "200": json(ref("MailhogMessages"), "A page") },
    }),
  },
  [`${MAILHOG}/api/v2/search`]: {
    get: operation("mailhog", {
      operationId: "mailhogSearch",
      summary: "Messages from, to or containing a string",
      parameters: [
        { ...query("kind", "What to match", { enum: ["from", "to", "containing"] }), required: true },
        { ...query("query", "Case-insensitive substring"), required: true },
        ...mailhogPage,
      ],
      responses: { "200": json(ref("MailhogMessages"), "A page of matches"), ...badRequest },
    }),
  },
  [`${MAILHOG}/api/v1/messages`]: {
    get: operation("mailhog", {
      operationId: "mailhogListMessagesV1",
      summary: "The newest 1000 messages",
      responses: { "200": json({ type: "array", items: ref("MailhogMessage") }, "Messages") },
    }),
    delete: operation("mailhog", {
      operationId: "mailhogDeleteAll",
      summary: "Delete every message",
      responses: { "200": emptyOk },
    }),
  },
  [`${MAILHOG}/api/v1/messages/{id}`]: {
    get: operation("mailhog", {
      operationId: "mailhogGetMessage",
      summary: "One message",
      parameters: [mailhogId],
      responses: { "200": json(ref("MailhogMessage"), "The message"), ...notFound },
    }),
    delete: operation("mailhog", {
      operationId: "mailhogDeleteMessage",
      summary: "Delete one message",
      parameters: [mailhogId],
      responses: { "200": emptyOk, ...notFound },
    }),
  },
  [`${MAILHOG}/api/v1/messages/{id}/download`]: {
    get: operation(
      "mailhog",
      {
        operationId: "mailhogDownload",
        summary: "The message as received, as a download",
        parameters: [mailhogId, param("token")],
        responses: { "200": body("message/rfc822", "RFC 5322 source", binary), ...notFound },
      },
      true,
    ),
  },
  [`${MAILHOG}/api/v1/messages/{id}/mime/part/{part}/download`]: {
    get: operation(
      "mailhog",
      {
        operationId: "mailhogDownloadPart",
        summary: "One top-level MIME part, base64 decoded",
        parameters: [mailhogId, pathParameter("part", "Index in `MIME.Parts`"), param("token")],
        responses: { "200": body("application/octet-stream", "The part's content", binary), ...notFound },
      },
      true,
    ),
  },
};

const maildevId = pathParameter("id", "An email id");
const yes = json({ const: true }, "Done");

/** A release answered once tried: refused by the relay policy (403), or its first attempt failed (502). */
const relayResponses = {
  "200": yes,
  "403": response("Forbidden"),
  ...notFound,
  "502": json(
    {
      type: "object",
      properties: {
        error: {
          allOf: [
            ref("ErrorObject"),
            { type: "object", properties: { code: { const: "relay_failed" }, releaseId: string } },
          ],
        },
      },
      required: ["error"],
    },
    "The relay did not take the message; the release (`releaseId`) is kept and retried",
  ),
};

/**
 * MailDev's email routes in one of its layouts: version 2 at `/maildev/email…`, version 3 (the
 * same routes, answers in its own shapes) at `/maildev/api/email…`.
 */
function maildevEmailPaths(version: 2 | 3): Record<string, PathItem> {
  const at = version === 2 ? MAILDEV : `${MAILDEV}/api`;
  const id = (name: string) => (version === 2 ? `maildev${name}` : `maildev3${name}`);
  const email = ref(version === 2 ? "MaildevEmail" : "Maildev3Email");
  return {
    [`${at}/email`]: {
      get: operation("maildev", {
        operationId: id("ListEmails"),
        summary:
          version === 2
            ? "Every email in full, oldest first; other parameters filter in dot notation (`from.address=…`)"
            : "Every email in full, in arrival order unless `sort` is given; other parameters filter in dot notation, comparing as strings (`read=false`)",
        parameters: [
          query("skip", "How many to leave out from the start", integer),
          ...(version === 3
            ? [
                query("limit", "At most this many", integer),
                query("sort", "By time, `asc` or `desc`", { enum: ["asc", "desc"] }),
              ]
            : []),
        ],
        responses: { "200": json({ type: "array", items: email }, "Emails") },
      }),
    },
    ...(version === 3
      ? {
          [`${at}/email/summary`]: {
            get: operation("maildev", {
              operationId: id("ListSummaries"),
              summary: "A page of summaries (no bodies or headers), newest first unless `sort=asc`",
              parameters: [
                query("skip", "How many to leave out from the start", integer),
                query("limit", "Page size: 50 when absent or 0, at most 200", integer),
                query("sort", "By time, `asc` or `desc` (the default)", { enum: ["asc", "desc"] }),
                query(
                  "search",
                  "Case-insensitive: the subject, From/To/Cc addresses and names, the text body",
                ),
                query("unread", "`true`: unread emails only"),
              ],
              responses: { "200": json(ref("MaildevSummaryPage"), "One page") },
            }),
          },
          [`${at}/email/delete`]: {
            post: operation("maildev", {
              operationId: id("DeleteEmails"),
              summary: "Delete several emails",
              requestBody: {
                required: true,
                content: { "application/json": { schema: object({ ids: strings }) } },
              },
              responses: {
                "200": json(
                  object({ deleted: strings, notFound: strings }),
                  "What was deleted, what was not there",
                ),
                "400": response("BadRequest"),
                ...bodyErrors,
              },
            }),
          },
        }
      : {}),
    [`${at}/email/read-all`]: {
      patch: operation("maildev", {
        operationId: id("ReadAll"),
        summary: "Mark every email read",
        responses: { "200": json(integer, "How many were unread") },
      }),
    },
    [`${at}/email/all`]: {
      delete: operation("maildev", {
        operationId: id("DeleteAll"),
        summary: "Delete every email",
        responses: { "200": yes },
      }),
    },
    [`${at}/email/{id}`]: {
      get: operation("maildev", {
        operationId: id("GetEmail"),
        summary: "One email (marks it read)",
        parameters: [maildevId],
        responses: { "200": json(email, "The email"), ...notFound },
      }),
      delete: operation("maildev", {
        operationId: id("DeleteEmail"),
        summary: "Delete one email",
        parameters: [maildevId],
        responses: { "200": yes, ...notFound },
      }),
    },
    [`${at}/email/{id}/relay`]: {
      post: operation("maildev", {
        operationId: id("Relay"),
        summary:
          "Release the email to the `--relay` server, to its envelope recipients, and answer once it was tried",
        parameters: [maildevId],
        responses: relayResponses,
      }),
    },
    [`${at}/email/{id}/relay/{relayTo}`]: {
      post: operation("maildev", {
        operationId: id("RelayTo"),
        summary: "Release the email to the `--relay` server, to this address, and answer once it was tried",
        parameters: [maildevId, pathParameter("relayTo", "The address to release it to instead")],
        responses: { ...relayResponses, ...badRequest },
      }),
    },
    [`${at}/email/{id}/html`]: {
      get: operation(
        "maildev",
        {
          operationId: id("GetHtml"),
          summary: "The HTML body, inline images linked to the attachment route",
          parameters: [maildevId, param("token")],
          responses: {
            "200": body("text/html", version === 2 ? "The HTML body (empty without one)" : "The HTML body"),
            ...notFound,
          },
        },
        true,
      ),
    },
    [`${at}/email/{id}/attachment/{filename}`]: {
      get: operation(
        "maildev",
        {
          operationId: id("GetAttachment"),
          summary: "An attachment by its generatedFileName",
          parameters: [
            maildevId,
            pathParameter("filename", "The attachment's generatedFileName"),
            param("token"),
          ],
          responses: { "200": body("application/octet-stream", "The decoded content", binary), ...notFound },
        },
        true,
      ),
    },
    [`${at}/email/{id}/download`]: {
      get: operation(
        "maildev",
        {
          operationId: id("Download"),
          summary: "The email as received, as a download",
          parameters: [maildevId, param("token")],
          responses: { "200": body("message/rfc822", "RFC 5322 source", binary), ...notFound },
        },
        true,
      ),
    },
    [`${at}/email/{id}/source`]: {
      get: operation(
        "maildev",
        {
          operationId: id("Source"),
          summary: "The email as received",
          parameters: [maildevId, param("token")],
          responses: { "200": body("text/plain", "RFC 5322 source"), ...notFound },
        },
        true,
      ),
    },
  };
}

const maildevPaths: Record<string, PathItem> = {
  ...maildevEmailPaths(2),
  ...maildevEmailPaths(3),
  [`${MAILDEV}/healthz`]: {
    get: operation("maildev", {
      operationId: "maildevHealth",
      summary: "Liveness",
      responses: { "200": yes },
    }),
  },
  [`${MAILDEV}/api/healthz`]: {
    get: operation("maildev", {
      operationId: "maildev3Health",
      summary: "Liveness (MailDev 3)",
      responses: { "200": yes },
    }),
  },
  [`${MAILDEV}/api/config`]: {
    get: operation("maildev", {
      operationId: "maildev3Config",
      summary:
        "MailDev 3's configuration answer: Mailnest's version and SMTP port; MailDev's relay route is not served",
      responses: {
        "200": json(
          object({
            version: string,
            smtpPort: integer,
            isOutgoingEnabled: { const: false },
            outgoingHost: { type: "null" },
          }),
          "Configuration",
        ),
      },
    }),
  },
};

export const compatPaths: Record<string, PathItem> = { ...mailpitPaths, ...mailhogPaths, ...maildevPaths };

const address = object({ Name: string, Address: string });
const addresses: JsonSchema = { type: "array", items: address };
const attachment = object({
  PartID: string,
  FileName: string,
  ContentType: string,
  ContentID: string,
  Size: integer,
  Checksums: object({ MD5: string, SHA1: string, SHA256: string }),
});
const mailpitSummary = object({
  ID: string,
  MessageID: string,
  Read: boolean,
  From: address,
  To: addresses,
  Cc: addresses,
  Bcc: addresses,
  ReplyTo: addresses,
  Subject: string,
  Created: string,
  Username: string,
  Tags: strings,
  Size: integer,
  Attachments: integer,
  Snippet: string,
});
const mailhogPath = object({ Relays: nullable(strings), Mailbox: string, Domain: string, Params: string });
const maildevAddress = object({ address: string, name: string });
const maildevAddresses: JsonSchema = { type: "array", items: maildevAddress };
const maildevRequired: Record<string, JsonSchema> = {
  id: string,
  time: string,
  read: boolean,
  subject: string,
  from: maildevAddresses,
  to: maildevAddresses,
  priority: { enum: ["high", "normal", "low"] },
  headers: { type: "object", additionalProperties: { anyOf: [string, strings] } },
  attachments: nullable({
    type: "array",
    items: object({
      contentType: string,
      contentDisposition: { enum: ["inline", "attachment"] },
      fileName: string,
      generatedFileName: string,
      contentId: string,
      length: integer,
    }),
  }),
  envelope: object({
    from: object({ address: string, args: { const: false } }),
    to: { type: "array", items: object({ address: string, args: { const: false } }) },
    host: string,
    remoteAddress: string,
  }),
  source: string,
  size: integer,
  sizeHuman: string,
  calculatedBcc: maildevAddresses,
};

/** An object schema with `required` properties and `optional` ones (MailDev leaves out what a message lacks). */
function withOptional(
  required: Record<string, JsonSchema>,
  optional: Record<string, JsonSchema>,
): JsonSchema {
  return { ...object(required), properties: { ...required, ...optional } };
}

function maildevEmail(required: Record<string, JsonSchema>): JsonSchema {
  return withOptional(required, {
    cc: maildevAddresses,
    bcc: maildevAddresses,
    replyTo: maildevAddresses,
    date: string,
    messageId: string,
    text: string,
    html: string,
  });
}

const maildevSummaryRequired: Record<string, JsonSchema> = {
  id: string,
  time: string,
  read: boolean,
  subject: string,
  size: integer,
  sizeHuman: string,
  from: maildevAddresses,
  to: maildevAddresses,
  attachmentCount: integer,
  preview: string,
};

/** The peers' shapes, as `components.schemas` (`mailpit-shapes.ts`, `mailhog-message.ts`, `maildev-email.ts`). */
export const compatSchemas: Record<string, JsonSchema> = {
  MailpitMessagesSummary: object({
    total: integer,
    unread: integer,
    count: integer,
    messages_count: integer,
    messages_unread: integer,
    start: integer,
    tags: strings,
    messages: { type: "array", items: mailpitSummary },
  }),
  MailpitMessage: object({
    ID: string,
    MessageID: string,
    From: address,
    To: addresses,
    Cc: addresses,
    Bcc: addresses,
    ReplyTo: addresses,
    ReturnPath: string,
    Subject: string,
    ListUnsubscribe: object({ Header: string, Links: strings, Errors: string, HeaderPost: string }),
    Date: string,
    Tags: strings,
    Username: string,
    Text: string,
    HTML: string,
    Size: integer,
    Inline: { type: "array", items: attachment },
    Attachments: { type: "array", items: attachment },
  }),
  MailpitInfo: object({
    Version: string,
    LatestVersion: string,
    Database: string,
    DatabaseSize: integer,
    Messages: integer,
    Unread: integer,
    Tags: { type: "object", additionalProperties: integer },
    RuntimeStats: object({
      Uptime: integer,
      Memory: integer,
      MessagesDeleted: integer,
      SMTPAccepted: integer,
      SMTPAcceptedSize: integer,
      SMTPRejected: integer,
      SMTPIgnored: integer,
    }),
  }),
  MailpitWebUiConfig: object({
    Label: string,
    MessageRelay: object({
      Enabled: boolean,
      SMTPServer: string,
      ReturnPath: string,
      AllowedRecipients: string,
      BlockedRecipients: string,
      OverrideFrom: string,
      PreserveMessageIDs: boolean,
      RecipientAllowlist: string,
    }),
    SpamAssassin: boolean,
    ChaosEnabled: boolean,
    DuplicatesIgnored: boolean,
    HideDeleteAllButton: boolean,
  }),
  MailhogMessages: object({
    total: integer,
    count: integer,
    start: integer,
    items: { type: "array", items: ref("MailhogMessage") },
  }),
  MailhogMessage: object({
    ID: string,
    From: mailhogPath,
    To: { type: "array", items: mailhogPath },
    Content: ref("MailhogContent"),
    Created: string,
    MIME: nullable(ref("MailhogMime")),
    Raw: object({ From: string, To: strings, Data: string, Helo: string }),
  }),
  MailhogContent: object(
    {
      Headers: { type: "object", additionalProperties: strings },
      Body: string,
      Size: integer,
      MIME: nullable(ref("MailhogMime")),
    },
    "Headers as written (still encoded), the body still transfer-encoded",
  ),
  MailhogMime: object({ Parts: { type: "array", items: ref("MailhogContent") } }),
  MaildevEmail: maildevEmail(maildevRequired),
  Maildev3Email: maildevEmail({
    ...maildevRequired,
    attachments: {
      type: "array",
      items: withOptional(
        {
          filename: string,
          generatedFileName: string,
          contentType: string,
          contentDisposition: { enum: ["inline", "attachment"] },
          size: integer,
        },
        { contentId: string },
      ),
    },
  }),
  MaildevSummaryPage: object({
    items: {
      type: "array",
      items: withOptional(maildevSummaryRequired, { cc: maildevAddresses }),
    },
    total: integer,
    storeTotal: integer,
    unread: integer,
    skip: integer,
    limit: integer,
  }),
};
