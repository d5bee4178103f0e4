// A webhook endpoint for the tests: collects the portal's event deliveries and verifies their Standard Webhooks
// signatures (https://www.standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` (unix seconds) and
// `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is the base64
// part of the `whsec_...` secret.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One POST the receiver got. */
export interface Delivery {
  /** The `webhook-id` header (the event id). */
  id: string;
  timestamp: number;
  /** The body parsed as JSON (null when it is not JSON). */
  body: any;
  /** The signature verified and the timestamp is within the tolerance. */
  valid: boolean;
  /** Why `valid` is false. */
  problem?: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  /** Deliveries whose id is `id` (at-least-once delivery may repeat one). */
  byId(id: string): Delivery[];
  close(): Promise<void>;
}

/** Timestamps further than this from the receiver's clock are refused (the specification's default). */
const TOLERANCE_SECONDS = 5 * 60;

/** The `webhook-signature` value for a message, as the sender must compute it. */
export function sign(secret: string, id: string, timestamp: number, body: Buffer | string): string {
  const key = signingKey(secret);
  const mac = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

function signingKey(secret: string): Buffer {
  if (!secret.startsWith("whsec_")) throw new Error("a Standard Webhooks secret starts with whsec_");
  return Buffer.from(secret.slice("whsec_".length), "base64");
}

/** Checks one delivery; returns why it is not valid, or undefined when it is. */
export function verify(
  secret: string,
  headers: http.IncomingHttpHeaders,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | undefined {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") {
    return "missing webhook-id, webhook-timestamp or webhook-signature";
  }
  if (!/^\d+$/.test(timestamp)) return `webhook-timestamp ${timestamp} is not unix seconds`;
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS) return `webhook-timestamp ${ts} is too far from now (${nowSeconds})`;
  const expected = Buffer.from(sign(secret, id, ts, body).slice("v1,".length), "base64");
  // The header may carry several space-separated signatures (key rotation); one match is enough.
  const ok = signatures.split(" ").some((candidate) => {
    const [version, value] = candidate.split(",", 2);
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  return ok ? undefined : `no valid v1 signature in "${signatures}"`;
}

/** Starts the receiver on `host:port`, collecting POSTs to `path`; other requests get 404. */
export async function startWebhookReceiver(options: {
  secret: string;
  port: number;
  host?: string;
  path?: string;
}): Promise<WebhookReceiver> {
  const { secret, port, host = "127.0.0.1", path = "/hook" } = options;
  signingKey(secret); // fail early on a malformed secret
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (req.method !== "POST" || url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      let body: any = null;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        body = null;
      }
      const problem = verify(secret, req.headers, raw) ?? (body === null ? "the body is not JSON" : undefined);
      deliveries.push({
        id: String(req.headers["webhook-id"] ?? ""),
        timestamp: Number(req.headers["webhook-timestamp"] ?? NaN),
        body,
        valid: problem === undefined,
        problem,
        receivedAt: Date.now(),
      });
      // A refused signature is still answered 2xx: the test asserts on `valid`, and the portal should not retry.
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}${path}`,
    deliveries,
    byId: (id) => deliveries.filter((d) => d.id === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
