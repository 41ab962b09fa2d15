import { MAX_FAULT_LOG_ENTRIES } from "@mailnest/protocol";
import { specRuleInput } from "./after-acceptance/parse-report-rule.js";
import { ReportEngine } from "./after-acceptance/report-engine.js";
import { createApp } from "./api/app.js";
import { guardEventUpgrades } from "./api/http/event-upgrades.js";
import { type HttpServer, startHttpServer } from "./api/http/http-server.js";
import { type Clock, systemClock } from "./clock.js";
import type { MailnestConfig } from "./config.js";
import { createDeliverabilityLab, type DeliverabilityLab } from "./deliverability/deliverability-lab.js";
import { EventBus } from "./events/bus.js";
import { EventHub } from "./events/event-hub.js";
import { FaultStore } from "./faults/fault-store.js";
import { chaosRuleInput } from "./faults/parse-fault-rule.js";
import { createMetrics } from "./metrics/create-metrics.js";
import type { SharedOutboxes } from "./outbox/shared-outboxes.js";
import { compileRecipientPattern } from "./relay/recipient-pattern.js";
import { parseRelayUrl } from "./relay/relay-target.js";
import { ReleaseService } from "./relay/release-service.js";
import { type Retrieval, retrievalNeedsCertificate, startRetrieval } from "./retrieval/start-retrieval.js";
import { SandboxSettingError } from "./sandbox-setting-error.js";
import { parserLoadedWhenUsed } from "./smtp/parser-loaded-when-used.js";
import { createParserPool, defaultParserThreads, parserThreadsAvailable } from "./smtp/parser-pool.js";
import { type SmtpListener, startSmtpListener } from "./smtp/smtp-listener.js";
import { loadTlsCredentials, type TlsCredentials } from "./smtp/tls-credentials.js";
import { certificateNeeded } from "./smtp/transport-policy.js";
import { createMessageStore } from "./store/create-message-store.js";
import type { MessageStore, SharedMessageFlags } from "./store/message-store.js";
import { WaitRegistry } from "./waits/wait-registry.js";
import { WebhookService } from "./webhooks/webhook-service.js";

/** One running Mailnest: what `startSandbox` returns to the CLI and to tests. */
export interface Sandbox {
  /** The config it runs with, ports replaced by the ones actually bound. */
  readonly config: MailnestConfig;
  readonly bus: EventBus;
  readonly store: MessageStore;
  /** Fault rules and the log of injected faults (docs/api.md, "Faults"). */
  readonly faults: FaultStore;
  /** Reports after acceptance: bounces, complaints, auto-replies (docs/after-acceptance.md). */
  readonly reports: ReportEngine;
  /** Webhook endpoints and their delivery logs (docs/integrations.md). */
  readonly webhooks: WebhookService;
  /** Release and auto-relay to the `--relay` server (docs/integrations.md). */
  readonly releases: ReleaseService;
  /** The DNS zone the tests control and the verifier of SPF, DKIM, DMARC and ARC (docs/authentication.md). */
  readonly deliverability: DeliverabilityLab;
  /**
   * The certificate of STARTTLS and the implicit-TLS listener, or null when neither is on.
   * `tls.certFile` is the PEM a client trusts (`tls.cert` itself in memory mode).
   */
  readonly tls: TlsCredentials | null;
  /** The ports actually bound (a config port of 0 picks a free one). */
  readonly smtpPort: number;
  /** The implicit-TLS listener's port, or null when it is off. */
  readonly smtpsPort: number | null;
  /** The POP3 and IMAP listeners' ports (docs/retrieval.md); null where off. */
  readonly pop3Port: number | null;
  readonly pop3sPort: number | null;
  readonly imapPort: number | null;
  readonly imapsPort: number | null;
  readonly httpPort: number;
  /** Base URL of the HTTP API and web viewer, e.g. `http://127.0.0.1:8025`. */
  readonly url: string;
  /**
   * Stops accepting SMTP, lets messages in DATA finish (421 after `config.shutdownGraceMs`), closes
   * HTTP, then flushes and closes the store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The composition root: bus → store → waits and the event hub → faults → TLS certificate → metrics
 * → webhooks and releases → SMTP listeners → HTTP server (the API's routes, and the hub behind the
 * upgrade checks).
 * If a later part fails to start (a port in use, an unusable certificate), the parts already started
 * are closed before the error is rethrown.
 */
/** What a sandbox can be given besides its configuration. */
export interface SandboxOptions {
  /**
   * The server's clock (`receivedTime`, `GET /api/clock`); the system's by default. Tests give one
   * that is hours off to show that waits do not depend on the two clocks agreeing.
   */
  clock?: Clock;
}

export async function startSandbox(config: MailnestConfig, options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock ?? systemClock;
  const bus = new EventBus();
  // Work that can wait (loading the search text of `text` queries, starting the verification
  // threads) starts once the listeners are up: on a small machine it would slow the restart down.
  // Until then `text` queries read sidecars and the first message starts a thread itself.
  let startBackgroundWork = () => {};
  const backgroundWorkAfter = new Promise<void>((resolve) => {
    startBackgroundWork = resolve;
  });
  // First: a zone file that cannot be used stops startup before anything is opened.
  const deliverability = await createDeliverabilityLab(config, { threadsAfter: backgroundWorkAfter });
  // Parsing on worker threads beside the event loop when running from the build (from the
  // TypeScript sources, under tests, it stays on the main thread): docs/performance.md.
  const parseThreads = config.parseThreads ?? defaultParserThreads();
  const messageParser = parserLoadedWhenUsed({ loadAfter: backgroundWorkAfter });
  const parsers =
    parseThreads > 0 && parserThreadsAvailable()
      ? createParserPool({ threads: parseThreads, fallback: messageParser })
      : null;
  let store: MessageStore;
  try {
    store = await createMessageStore(config, {
      clock,
      parser: parsers ?? messageParser,
      bus,
      authenticator: deliverability.authenticator,
      backgroundWorkAfter,
    });
  } catch (error) {
    await parsers?.close();
    await deliverability.close();
    throw error;
  }
  const waits = new WaitRegistry(store, bus);
  const events = new EventHub(bus, { head: () => store.head });

  let faults: FaultStore | null = null;
  let reports: ReportEngine | null = null;
  let tls: TlsCredentials | null = null;
  let smtp: SmtpListener | null = null;
  let smtps: SmtpListener | null = null;
  let http: HttpServer | null = null;
  let webhooks: WebhookService | null = null;
  let outboxes: (SharedOutboxes & { close(): Promise<void> }) | null = null;
  let releases: ReleaseService | null = null;
  let retrieval: Retrieval | null = null;
  let sharedFlags: SharedMessageFlags | null = null;
  // Subscribed before SMTP starts, so no connection or message goes uncounted.
  const metrics = createMetrics(bus, {
    storedMessages: () => store.messageCount,
    activeWaiters: () => waits.size,
  });
  // Each thread holds its own V8 isolate (about 12-17 MB resident) and stops after a minute without
  // work: these say which of a sandbox's memory steps is a thread (docs/performance.md).
  metrics.registerGauge(
    "mailnest_verify_threads_running",
    "Verification threads running now (--verify-threads; each stops after a minute without a message).",
    () => deliverability.runningThreads(),
  );
  metrics.registerGauge(
    "mailnest_parse_threads_running",
    "Parsing threads running now (--parse-threads; each stops after a minute without a message).",
    () => parsers?.runningThreads() ?? 0,
  );
  // SMTP first, so messages still in DATA get stored (and seen by HTTP waiters); then the waits, so
  // open ones answer 503 before HTTP closes; the store last, to flush.
  const closeAll = async () => {
    await Promise.all([smtp?.close(), smtps?.close(), retrieval?.close()]);
    await sharedFlags?.close();
    // After SMTP, so the last messages get their reports decided; before the store they are written to.
    await reports?.close();
    waits.close();
    await http?.close();
    await events.close();
    // After SMTP and HTTP, so nothing more is queued; before the store, which a release reads.
    await Promise.all([webhooks?.close(), releases?.close()]);
    await outboxes?.close();
    metrics.close();
    await faults?.close();
    await store.close();
    await parsers?.close();
    await deliverability.close();
  };

  try {
    faults = await FaultStore.open({
      dataDir: config.dataDir,
      // On PostgreSQL the API's rules and the log are the sandbox's, shared by every instance.
      shared:
        config.databaseUrl === null
          ? null
          : await (await import("./store/postgres/postgres-fault-rules.js")).PostgresFaultRules.open(
              config.databaseUrl,
              { maxLogEntries: MAX_FAULT_LOG_ENTRIES },
            ),
    });
    // On PostgreSQL the DNS zone is the sandbox's too: a record added through one instance is
    // verified against on every instance; this instance's zone file joins it.
    const databaseUrl = config.databaseUrl;
    if (databaseUrl !== null) {
      const { PostgresDnsZone } = await import("./store/postgres/postgres-dns-zone.js");
      await deliverability.shareZone((zone) => PostgresDnsZone.open(databaseUrl, zone));
    } else if (config.dataDir !== null) {
      // With a data directory (claimed by the store just now) the zone outlives a restart, as the
      // fault rules do.
      await deliverability.keepZone(config.dataDir);
    }
    for (const spec of config.chaos) await faults.add(chaosRuleInput(spec), "cli");
    for (const input of config.receivingRules) await faults.add(input, "cli");
    // On PostgreSQL, report rules and their log, webhook endpoints and deliveries, relay rules and
    // releases are the sandbox's, shared by every instance.
    outboxes =
      config.databaseUrl === null
        ? null
        : await (await import("./store/postgres/postgres-outboxes.js")).PostgresOutboxes.open(
            config.databaseUrl,
          );
    // Before SMTP, so every message stored is looked at.
    reports = await ReportEngine.open({
      shared: outboxes,
      config: {
        ...config,
        reportRelay: config.reportRelay === null ? null : parseRelayUrl(config.reportRelay, []),
      },
      store,
      bus,
    });
    for (const spec of config.reports) await reports.rules.add(specRuleInput(spec), "cli");
    tls =
      certificateNeeded(config) || retrievalNeedsCertificate(config)
        ? await loadTlsCredentials(
            config,
            // On PostgreSQL every instance presents the same self-signed certificate (docs/scaling.md, "TLS").
            config.databaseUrl === null
              ? null
              : (await import("./store/postgres/shared-certificate.js")).sharedCertificate(
                  config.databaseUrl,
                ),
          )
        : null;
    // Before SMTP, so every stored message is announced to them (and what a crash left out is queued).
    webhooks = await WebhookService.open({
      dataDir: config.dataDir,
      shared: outboxes,
      bus,
      store,
      // A shared store holds other instances' mail, theirs to send (docs/scaling.md, "Webhooks").
      catchUp: config.databaseUrl === null,
      baseUrl: () => http?.url ?? `http://${config.host}:${config.httpPort}`,
      cliEndpoints: config.webhooks.map((url) =>
        config.webhookSecret === null ? { url } : { url, secret: config.webhookSecret },
      ),
    });
    const delivering = webhooks;
    metrics.registerGauge(
      "mailnest_webhooks_delivering",
      "1 when this instance makes the webhook delivery attempts (with PostgreSQL, one instance at a time).",
      () => (delivering.delivering ? 1 : 0),
    );
    releases = await ReleaseService.open({
      dataDir: config.dataDir,
      shared: outboxes,
      bus,
      store,
      relay:
        config.relay === null
          ? null
          : parseRelayUrl(config.relay.url, config.relay.allow.map(compileRecipientPattern)),
      domain: config.domain,
      maxRecipients: config.maxRecipients,
      cliRules: config.relayAuto,
    });
    const sending = releases;
    metrics.registerGauge(
      "mailnest_releases_delivering",
      "1 when this instance sends the releases to --relay (with PostgreSQL, one instance at a time).",
      () => (sending.delivering ? 1 : 0),
    );
    const smtpDeps = { config, store, bus, faults, tls };
    smtp = await startSmtpListener(smtpDeps, { port: config.smtpPort });
    refuseReportLoop(config, smtp.port);
    if (config.smtpsPort !== null) {
      smtps = await startSmtpListener(smtpDeps, { port: config.smtpsPort, implicitTls: true });
    }
    // On PostgreSQL, IMAP's \Flagged, \Answered, \Draft and \Deleted are the sandbox's too.
    if (databaseUrl !== null && (config.imapPort !== null || config.imapsPort !== null)) {
      const { PostgresMessageFlags } = await import("./store/postgres/postgres-message-flags.js");
      sharedFlags = await PostgresMessageFlags.open(databaseUrl);
    }
    retrieval = await startRetrieval(config, { store, bus, tls, sharedFlags });
    const bound = { ...config, smtpPort: smtp.port, smtpsPort: smtps?.port ?? null, ...retrieval.ports };
    http = await startHttpServer(config, {
      app: createApp({
        config: bound,
        store,
        waits,
        metrics,
        faults,
        reports,
        clock,
        webhooks,
        releases,
        deliverability,
      }),
      upgrades: guardEventUpgrades(config, events),
    });
    // The links in webhook events point at the HTTP server: deliveries start once it listens.
    webhooks.start();
    startBackgroundWork();
  } catch (error) {
    await closeAll();
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    config: {
      ...config,
      smtpPort: smtp.port,
      smtpsPort: smtps?.port ?? null,
      ...retrieval.ports,
      httpPort: http.port,
    },
    bus,
    store,
    faults,
    reports,
    webhooks,
    releases,
    deliverability,
    tls,
    smtpPort: smtp.port,
    smtpsPort: smtps?.port ?? null,
    ...retrieval.ports,
    httpPort: http.port,
    url: http.url,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

/**
 * `--report-relay` pointing at this sandbox's own SMTP listener would store every report twice; a
 * report never causes another (it has the null sender), but the second copy helps nobody.
 */
function refuseReportLoop(config: MailnestConfig, smtpPort: number): void {
  if (config.reportRelay === null) return;
  const target = parseRelayUrl(config.reportRelay, []);
  const local = new Set(["127.0.0.1", "::1", "localhost", "0.0.0.0", config.host]);
  if (target.port === smtpPort && local.has(target.host)) {
    throw new SandboxSettingError(
      `--report-relay ${target.displayUrl} is this sandbox's own SMTP listener: reports are stored here already; point it at the app's inbound SMTP endpoint`,
    );
  }
}
