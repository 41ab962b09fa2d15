import { execFile, spawnSync } from "node:child_process";

/**
 * Python's `email` package as an independent reader of generated mail: the report tests hand it the
 * raw bytes and get back what it parsed (structure, headers, the fields of a delivery-status or
 * feedback-report part, the returned original's Message-ID). Skipped where python3 is missing.
 */

export const HAS_PYTHON = spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0;

/** What `email.message_from_bytes(raw, policy=email.policy.default)` made of a message. */
export interface PythonView {
  contentType: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  /** Content types of the top-level parts, in order. */
  parts: string[];
  /** A delivery-status part's groups (per-message first), each a header → value map. */
  deliveryStatus: Array<Record<string, string>> | null;
  /** A feedback-report part's fields. */
  feedbackReport: Record<string, string> | null;
  /** The Message-ID in the returned original (message/rfc822 or text/rfc822-headers), if any. */
  returnedMessageId: string | null;
  /** The first text/plain part, decoded. */
  text: string | null;
  defects: string[];
}

const SCRIPT = `
import email, email.policy, json, sys
raw = sys.stdin.buffer.read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
view = {
  "contentType": msg.get_content_type(),
  "params": {k: v for k, v in (msg.get_params() or [])[1:]},
  "headers": {k: str(v) for k, v in msg.items()},
  "parts": [],
  "deliveryStatus": None,
  "feedbackReport": None,
  "returnedMessageId": None,
  "text": None,
  "defects": [type(d).__name__ for d in msg.defects],
}
def fields(block):
    return {k: str(v) for k, v in block.items()}
parts = msg.iter_parts() if msg.is_multipart() else [msg]
for part in parts:
    ctype = part.get_content_type()
    view["parts"].append(ctype)
    view["defects"] += [type(d).__name__ for d in part.defects]
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        view["deliveryStatus"] = [fields(block) for block in part.get_payload()]
    elif ctype == "message/feedback-report":
        body = part.get_payload()
        if isinstance(body, list):
            merged = {}
            for block in body: merged.update(fields(block))
            view["feedbackReport"] = merged
        else:
            view["feedbackReport"] = fields(email.message_from_string(body, policy=email.policy.default))
    elif ctype == "message/rfc822":
        inner = part.get_payload()[0]
        view["returnedMessageId"] = inner.get("Message-ID")
    elif ctype == "text/rfc822-headers":
        inner = email.message_from_string(part.get_content(), policy=email.policy.default)
        view["returnedMessageId"] = inner.get("Message-ID")
    elif ctype == "text/plain" and view["text"] is None:
        view["text"] = part.get_content()
print(json.dumps(view))
`;

/** Parses `raw` with Python's email package. */
export function parseWithPython(raw: Buffer): Promise<PythonView> {
  return new Promise((resolve, reject) => {
    const child = execFile("python3", ["-c", SCRIPT], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3 could not parse the message: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as PythonView);
    });
    child.stdin?.end(raw);
  });
}
