/**
 * Every HTTP path of the API, built in one place: a consumer never writes `/api/...` by hand, so a
 * renamed route is a compile error, and every address or id is encoded the same way.
 */
const enc = encodeURIComponent;

export const apiPaths = {
  health: () => "/api/health",
  clock: () => "/api/clock",
  openApi: () => "/api/openapi.json",
  metrics: () => "/metrics",
  events: () => "/api/events",

  inboxes: () => "/api/inboxes",
  inbox: (address: string) => `/api/inboxes/${enc(address)}`,
  inboxMessages: (address: string) => `/api/inboxes/${enc(address)}/messages`,
  inboxRead: (address: string) => `/api/inboxes/${enc(address)}/read`,
  inboxWait: (address: string) => `/api/inboxes/${enc(address)}/wait`,
  inboxFaults: (address: string) => `/api/inboxes/${enc(address)}/faults`,

  messages: () => "/api/messages",
  message: (id: string) => `/api/messages/${enc(id)}`,
  messageRaw: (id: string) => `/api/messages/${enc(id)}/raw`,
  messageHtml: (id: string) => `/api/messages/${enc(id)}/html`,
  messageText: (id: string) => `/api/messages/${enc(id)}/text`,
  messageHeaders: (id: string) => `/api/messages/${enc(id)}/headers`,
  attachment: (id: string, attachmentId: string) =>
    `/api/messages/${enc(id)}/attachments/${enc(attachmentId)}`,

  wait: () => "/api/wait",

  webhooks: () => "/api/webhooks",
  webhook: (id: string) => `/api/webhooks/${enc(id)}`,
  webhookSecret: (id: string) => `/api/webhooks/${enc(id)}/secret`,
  webhookDeliveries: (id: string) => `/api/webhooks/${enc(id)}/deliveries`,
  webhookDelivery: (id: string) => `/api/webhook-deliveries/${enc(id)}`,
  webhookRedeliver: (id: string) => `/api/webhook-deliveries/${enc(id)}/redeliver`,

  send: () => "/api/send",
  relay: () => "/api/relay",
  relayRules: () => "/api/relay/rules",
  relayRule: (id: string) => `/api/relay/rules/${enc(id)}`,
  messageRelease: (id: string) => `/api/messages/${enc(id)}/release`,
  messageReleases: (id: string) => `/api/messages/${enc(id)}/releases`,
  releases: () => "/api/releases",
  release: (id: string) => `/api/releases/${enc(id)}`,
  releaseRetry: (id: string) => `/api/releases/${enc(id)}/retry`,

  faults: () => "/api/faults",
  fault: (id: string) => `/api/faults/${enc(id)}`,
  faultLog: () => "/api/faults/log",

  reports: () => "/api/reports",
  report: (id: string) => `/api/reports/${enc(id)}`,
  reportLog: () => "/api/reports/log",
  pendingReports: () => "/api/reports/pending",
  reportSimulator: () => "/api/reports/simulator",
  inboxReports: (address: string) => `/api/inboxes/${enc(address)}/reports`,

  dnsRecords: () => "/api/dns/records",
  dkimKeys: () => "/api/dns/dkim-keys",
} as const;

export type ApiPathName = keyof typeof apiPaths;
