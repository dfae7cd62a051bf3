import { createHmac, randomBytes } from "node:crypto";

/**
 * Webhook signatures (issue #9), Stripe-style so receivers know the shape:
 * `X-SisSync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is signed with the body, so a receiver that rejects old `t` values (e.g. older
 * than 5 minutes) also rejects replays.
 */
export const SIGNATURE_HEADER = "X-SisSync-Signature";
export const DELIVERY_HEADER = "X-SisSync-Delivery";

export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/** A new endpoint secret: shown once at creation, stored encrypted. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}
