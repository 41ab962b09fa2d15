import { createApp } from "./api/app.js";
import { guardEventUpgrades } from "./api/http/event-upgrades.js";
import { type HttpServer, startHttpServer } from "./api/http/http-server.js";
import type { MailnestConfig } from "./config.js";
import { createDeliverabilityLab, type DeliverabilityLab } from "./deliverability/deliverability-lab.js";
import { EventBus } from "./events/bus.js";
import { EventHub } from "./events/event-hub.js";
import { FaultStore } from "./faults/fault-store.js";
import { chaosRuleInput } from "./faults/parse-fault-rule.js";
import { createMetrics } from "./metrics/create-metrics.js";
import { type Retrieval, retrievalNeedsCertificate, startRetrieval } from "./retrieval/start-retrieval.js";
import { messageParser } from "./smtp/parse-message.js";
import { type SmtpListener, startSmtpListener } from "./smtp/smtp-listener.js";
import { loadTlsCredentials, type TlsCredentials } from "./smtp/tls-credentials.js";
import { certificateNeeded } from "./smtp/transport-policy.js";
import { createMessageStore } from "./store/create-message-store.js";
import type { MessageStore } from "./store/message-store.js";
import { WaitRegistry } from "./waits/wait-registry.js";

/** One running Mailnest: what `startSandbox` returns to the CLI and to tests. */
export interface Sandbox {
  /** The config it runs with, ports replaced by the ones actually bound. */
  readonly config: MailnestConfig;
  readonly bus: EventBus;
  readonly store: MessageStore;
  /** Fault rules and the log of injected faults (docs/api.md, "Faults"). */
  readonly faults: FaultStore;
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
 * → SMTP listeners → HTTP server (the API's routes, and the hub behind the upgrade checks).
 * If a later part fails to start (a port in use, an unusable certificate), the parts already started
 * are closed before the error is rethrown.
 */
export async function startSandbox(config: MailnestConfig): Promise<Sandbox> {
  const bus = new EventBus();
  // First: a zone file that cannot be used stops startup before anything is opened.
  const deliverability = await createDeliverabilityLab(config);
  const store = await createMessageStore(config, {
    parser: messageParser,
    bus,
    authenticator: deliverability.authenticator,
  });
  const waits = new WaitRegistry(store, bus);
  const events = new EventHub(bus, { head: () => store.head });

  let faults: FaultStore | null = null;
  let tls: TlsCredentials | null = null;
  let smtp: SmtpListener | null = null;
  let smtps: SmtpListener | null = null;
  let http: HttpServer | null = null;
  let retrieval: Retrieval | null = null;
  // Subscribed before SMTP starts, so no connection or message goes uncounted.
  const metrics = createMetrics(bus, {
    storedMessages: () => store.messageCount,
    activeWaiters: () => waits.size,
  });
  // SMTP first, so messages still in DATA get stored (and seen by HTTP waiters); then the waits, so
  // open ones answer 503 before HTTP closes; the store last, to flush.
  const closeAll = async () => {
    await Promise.all([smtp?.close(), smtps?.close(), retrieval?.close()]);
    waits.close();
    await http?.close();
    await events.close();
    metrics.close();
    await faults?.close();
    await store.close();
  };

  try {
    faults = await FaultStore.open({ dataDir: config.dataDir });
    for (const spec of config.chaos) await faults.add(chaosRuleInput(spec), "cli");
    tls =
      certificateNeeded(config) || retrievalNeedsCertificate(config)
        ? await loadTlsCredentials(config)
        : null;
    const smtpDeps = { config, store, bus, faults, tls };
    smtp = await startSmtpListener(smtpDeps, { port: config.smtpPort });
    if (config.smtpsPort !== null) {
      smtps = await startSmtpListener(smtpDeps, { port: config.smtpsPort, implicitTls: true });
    }
    retrieval = await startRetrieval(config, { store, bus, tls });
    const bound = { ...config, smtpPort: smtp.port, smtpsPort: smtps?.port ?? null, ...retrieval.ports };
    http = await startHttpServer(config, {
      app: createApp({ config: bound, store, waits, metrics, faults, deliverability }),
      upgrades: guardEventUpgrades(config, events),
    });
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
