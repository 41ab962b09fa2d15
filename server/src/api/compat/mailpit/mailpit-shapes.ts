/**
 * Mailpit's API v1 shapes (server/apiv1 and internal/storage/structs.go of axllent/mailpit), as its
 * clients read them: PascalCase fields, Go's JSON for `net/mail.Address` and `time.Time`. They are
 * Mailpit's contract, not Mailnest's, so they live here and not in the protocol package.
 */

export interface MailpitAddress {
  Name: string;
  Address: string;
}

export interface MailpitAttachment {
  /** Opaque: Mailnest's attachment id (`a1`, `a2`…), where Mailpit uses the MIME part path (`2`, `1.2`). */
  PartID: string;
  FileName: string;
  ContentType: string;
  ContentID: string;
  Size: number;
  Checksums: { MD5: string; SHA1: string; SHA256: string };
}

/** One row of `GET /api/v1/messages` and `/api/v1/search`. */
export interface MailpitSummary {
  ID: string;
  MessageID: string;
  Read: boolean;
  From: MailpitAddress;
  To: MailpitAddress[];
  Cc: MailpitAddress[];
  Bcc: MailpitAddress[];
  ReplyTo: MailpitAddress[];
  Subject: string;
  /** When it was received, RFC 3339. */
  Created: string;
  Username: string;
  Tags: string[];
  Size: number;
  /** How many attachments (inline parts not counted). */
  Attachments: number;
  Snippet: string;
}

/** `GET /api/v1/message/{ID}`. */
export interface MailpitMessage {
  ID: string;
  MessageID: string;
  From: MailpitAddress;
  To: MailpitAddress[];
  Cc: MailpitAddress[];
  Bcc: MailpitAddress[];
  ReplyTo: MailpitAddress[];
  ReturnPath: string;
  Subject: string;
  ListUnsubscribe: { Header: string; Links: string[]; Errors: string; HeaderPost: string };
  /** The Date header, or when it was received if it has none. */
  Date: string;
  Tags: string[];
  Username: string;
  Text: string;
  HTML: string;
  Size: number;
  Inline: MailpitAttachment[];
  Attachments: MailpitAttachment[];
}

/** The page of `GET /api/v1/messages` and `/api/v1/search`. */
export interface MailpitMessagesSummary {
  total: number;
  unread: number;
  /** Undocumented since 2023, still sent: how many are on this page. */
  count: number;
  messages_count: number;
  messages_unread: number;
  start: number;
  tags: string[];
  messages: MailpitSummary[];
}

/** `GET /api/v1/info`. */
export interface MailpitInfo {
  Version: string;
  LatestVersion: string;
  Database: string;
  DatabaseSize: number;
  Messages: number;
  Unread: number;
  Tags: Record<string, number>;
  RuntimeStats: {
    Uptime: number;
    Memory: number;
    MessagesDeleted: number;
    SMTPAccepted: number;
    SMTPAcceptedSize: number;
    SMTPRejected: number;
    SMTPIgnored: number;
  };
}

/** `GET /api/v1/webui`: what Mailpit's own UI (and feature checks in tests) read. */
export interface MailpitWebUiConfig {
  Label: string;
  MessageRelay: {
    Enabled: boolean;
    SMTPServer: string;
    ReturnPath: string;
    AllowedRecipients: string;
    BlockedRecipients: string;
    OverrideFrom: string;
    PreserveMessageIDs: boolean;
    RecipientAllowlist: string;
  };
  SpamAssassin: boolean;
  ChaosEnabled: boolean;
  DuplicatesIgnored: boolean;
  HideDeleteAllButton: boolean;
}
