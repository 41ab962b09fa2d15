import {
  normalizeAddress,
  SIMULATOR_MAILBOXES,
  type SimulatorInfo,
  type SimulatorMailbox,
} from "@mailnest/protocol";
import type { ReportKind } from "./report-rule.js";

/** The built-in addresses' settings (`--no-simulator`, `--simulator-prefix`). */
export interface SimulatorConfig {
  enabled: boolean;
  /** Put in front of each local part: with "sim-", `sim-bounce@any.domain`. */
  prefix: string;
}

/** What each built-in address does; like a rule with no `inbox`, `from`, `times` or delay. */
export const SIMULATOR: Record<
  SimulatorMailbox,
  { kind: ReportKind; status: string | null; diagnostic: string | null; description: string }
> = {
  bounce: {
    kind: "bounce",
    status: "5.1.1",
    diagnostic: null,
    description: "a hard bounce: a DSN with Action: failed, Status: 5.1.1 (user unknown)",
  },
  suppressed: {
    kind: "bounce",
    status: "5.7.1",
    diagnostic: "550 5.7.1 Recipient address is on a suppression list",
    description: "a bounce for an address on a suppression list: Action: failed, Status: 5.7.1",
  },
  delayed: {
    kind: "delay",
    status: "4.4.7",
    diagnostic: null,
    description: "a delay warning: a DSN with Action: delayed, Status: 4.4.7",
  },
  complaint: {
    kind: "complaint",
    status: null,
    diagnostic: null,
    description: "a spam complaint: an ARF report (Feedback-Type: abuse) to the envelope sender",
  },
  ooto: {
    kind: "auto-reply",
    status: null,
    diagnostic: null,
    description: "an out-of-office auto-reply (RFC 3834) to the envelope sender",
  },
};

/**
 * The built-in address a recipient is, if any: its local part (a `+tag` left out) is the prefix and
 * a simulator name, on any domain. `Bounce+signup-42@app.test` is `bounce`.
 */
export function simulatorMailbox(recipient: string, config: SimulatorConfig): SimulatorMailbox | null {
  if (!config.enabled) return null;
  const address = normalizeAddress(recipient);
  const at = address.lastIndexOf("@");
  if (at < 1) return null;
  const local = address.slice(0, at);
  const plus = local.indexOf("+");
  const base = plus === -1 ? local : local.slice(0, plus);
  const prefix = config.prefix.toLowerCase();
  if (!base.startsWith(prefix)) return null;
  const name = base.slice(prefix.length);
  return (SIMULATOR_MAILBOXES as readonly string[]).includes(name) ? (name as SimulatorMailbox) : null;
}

/** `GET /api/reports/simulator`. */
export function simulatorInfo(config: SimulatorConfig): SimulatorInfo {
  return {
    enabled: config.enabled,
    prefix: config.prefix,
    mailboxes: SIMULATOR_MAILBOXES.map((name) => ({
      name,
      localPart: `${config.prefix}${name}`,
      kind: SIMULATOR[name].kind,
      status: SIMULATOR[name].status,
      description: SIMULATOR[name].description,
    })),
  };
}
