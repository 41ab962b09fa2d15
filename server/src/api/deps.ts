import type { ReportEngine } from "../after-acceptance/report-engine.js";
import type { Clock } from "../clock.js";
import type { MailnestConfig } from "../config.js";
import type { DeliverabilityLab } from "../deliverability/deliverability-lab.js";
import type { FaultStore } from "../faults/fault-store.js";
import type { ReleaseService } from "../relay/release-service.js";
import type { MessageStore } from "../store/message-store.js";
import type { WaitRegistry } from "../waits/wait-registry.js";
import type { WebhookService } from "../webhooks/webhook-service.js";
import type { HttpAppConfig } from "./http/express-app.js";

/** What `GET /metrics` serves; the metrics module provides it. */
export interface MetricsSource {
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}

/** What the API reads of the configuration: the plumbing's part, and what the routes answer with. */
export type ApiConfig = HttpAppConfig &
  Pick<MailnestConfig, "pop3Port" | "pop3sPort" | "imapPort" | "imapsPort"> &
  Pick<
    MailnestConfig,
    "domain" | "maxWaitMs" | "smtpPort" | "smtpsPort" | "maxMessageSize" | "maxRecipients"
  > &
  Pick<MailnestConfig, "dataDir" | "databaseUrl">;

export interface ApiDeps {
  /** With the ports actually bound: health reports them. */
  config: ApiConfig;
  store: MessageStore;
  /** Absent: `GET /metrics` answers 404. */
  metrics?: MetricsSource | undefined;
  /** The SMTP listener's fault rules. Absent: the `/api/faults` routes answer 404. */
  faults?: FaultStore | undefined;
  /** Reports after acceptance. Absent: the `/api/reports` routes answer 404. */
  reports?: ReportEngine | undefined;
  /** The long-poll waits (made once, by whoever composes the server: `sandbox.ts`). */
  waits: WaitRegistry;
  /** The clock `receivedTime` is read from, served at `GET /api/clock`; the system's when absent. */
  clock?: Clock | undefined;
  /** Webhook endpoints and deliveries. Absent: the `/api/webhooks` routes answer 404. */
  webhooks?: WebhookService | undefined;
  /** Release to the `--relay` server. Absent: the `/api/relay` and release routes answer 404. */
  releases?: ReleaseService | undefined;
  /** The DNS zone and DKIM keys of the deliverability lab. Absent: the `/api/dns` routes answer 404. */
  deliverability?: DeliverabilityLab | undefined;
}
