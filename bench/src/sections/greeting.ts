import { measureGreeting } from "../smtp-load.js";
import { type SectionContext, type SectionResult, scaled, withServer } from "./section.js";

/** Connect → 220 on fresh connections: the tax a connection-per-message client pays each time. */
export async function runGreeting(context: SectionContext): Promise<SectionResult> {
  const count = scaled(context, 500, 50);
  context.log(`greeting: ${count} sequential connections`);
  const greeting = await withServer(await context.startMailnest(), (server) =>
    measureGreeting(server.smtp, count),
  );
  return {
    rows: [
      {
        section: "greeting",
        metric: "connect → 220, p50",
        value: greeting.p50,
        unit: "ms",
        note: `p99 ${greeting.p99.toFixed(2)} ms, ${greeting.count} connects`,
        smtpServerReference: "≥ 100 ms (unpatched)",
        target: { op: "<", value: 5 },
      },
    ],
    details: { greeting },
  };
}
