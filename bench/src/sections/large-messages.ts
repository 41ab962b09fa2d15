import { MemorySampler, megabytes } from "../server/memory-probe.js";
import { messageOfRawSize } from "../smtp/message-factory.js";
import { runWorkload, type WorkloadResult } from "../smtp-load.js";
import { benchRecipient } from "../workloads.js";
import { type SectionContext, type SectionResult, warmUp, withServer } from "./section.js";

/** 25 MB raw: just under the default 25 MiB --max-message-size, as a real "largest allowed" mail. */
const LARGE_RAW_BYTES = 25_000_000;
const PARALLEL = 8;
const TIME_CAP_MS = 120_000;

interface Phase {
  baselineRss: number;
  peakRss: number;
  growth: number;
  exactPeak: boolean;
  steadyAfterRss: number;
  load: Omit<WorkloadResult, "ids">;
}

/** Resident memory of the server while it receives one 25 MB message, then 8 at once. */
export async function runLargeMessages(context: SectionContext): Promise<SectionResult> {
  const message = messageOfRawSize(LARGE_RAW_BYTES, "25 MB attachment");
  const size = message.approximateSize;
  const { single, parallel } = await withServer(await context.startMailnest(), async (server) => {
    // The baseline is a server that has started everything it starts by itself: measured right after
    // "ready", the verification thread was still loading (about 20 MB it takes whether or not mail
    // comes), and the first message was charged with it (60 MB of growth instead of about 36).
    context.log("memory: warm-up");
    await warmUp(context, server);
    const phase = async (connections: number): Promise<Phase> => {
      const baselineRss = (await server.collectGarbage()).rss;
      const sampler = new MemorySampler(server.pid, 10);
      const { ids: _ids, ...load } = await runWorkload(server.smtp, {
        name: `${connections} × 25 MB`,
        connections,
        messages: connections,
        reuseConnection: true,
        message,
        timeCapMs: TIME_CAP_MS,
        recipient: benchRecipient,
      });
      const { peak, exactPeak } = sampler.stop();
      const steadyAfterRss = (await server.collectGarbage()).rss;
      return { baselineRss, peakRss: peak, growth: peak - baselineRss, exactPeak, steadyAfterRss, load };
    };
    context.log("memory: one 25 MB message");
    const single = await phase(1);
    context.log(`memory: ${PARALLEL} × 25 MB in parallel`);
    const parallel = await phase(PARALLEL);
    return { single, parallel };
  });
  const sizeMb = megabytes(size);
  return {
    rows: [
      {
        section: "memory",
        metric: "RSS growth receiving one 25 MB message",
        value: megabytes(single.growth),
        unit: "MB",
        note: `${sizeMb} MB raw; ${megabytes(single.baselineRss)} → peak ${megabytes(single.peakRss)} MB; DATA→250 ${single.load.dataToOk.p50.toFixed(0)} ms${single.load.accepted === 1 ? "" : "; NOT accepted"}`,
        target: { op: "<", value: Math.round(2 * sizeMb * 10) / 10 },
      },
      {
        section: "memory",
        metric: `${PARALLEL} × 25 MB in parallel: messages accepted`,
        value: parallel.load.accepted,
        unit: "",
        note: `RSS ${megabytes(parallel.baselineRss)} → peak ${megabytes(parallel.peakRss)} MB (growth ${megabytes(parallel.growth)} MB = ${(parallel.growth / size).toFixed(1)}× one message); ${parallel.load.messagesPerSecond} msg/s`,
        target: { op: ">=", value: PARALLEL },
      },
    ],
    details: { messageBytes: size, single, parallel },
  };
}
