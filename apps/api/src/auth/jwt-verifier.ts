import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import type { AppConfig } from "@sis-sync/config";

export const ROLES = { platformAdmin: "PLATFORM_ADMIN", districtAdmin: "DISTRICT_ADMIN" } as const;

const claimsSchema = z.object({
  sub: z.string().min(1),
  roles: z.array(z.string()),
  tenantId: z.string().min(1).optional(),
});
export type AuthClaims = z.infer<typeof claimsSchema>;

export type VerifyToken = (token: string) => Promise<AuthClaims>;

/**
 * HS256 with AUTH_JWT_SECRET, or RS256/ES256 keys from AUTH_JWKS_URL. The algorithm list is
 * explicit, so `alg: none` and algorithm-confusion tokens are refused by jose.
 */
export function createTokenVerifier(config: Pick<AppConfig, "AUTH_JWT_SECRET" | "AUTH_JWKS_URL" | "AUTH_ISSUER" | "AUTH_AUDIENCE">): VerifyToken {
  const options = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, requiredClaims: ["exp", "sub"] };
  let verify: (t: string) => Promise<JWTPayload>;
  if (config.AUTH_JWKS_URL) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL));
    verify = async (t) => (await jwtVerify(t, jwks, { ...options, algorithms: ["RS256", "ES256"] })).payload;
  } else if (config.AUTH_JWT_SECRET) {
    const key = new TextEncoder().encode(config.AUTH_JWT_SECRET);
    verify = async (t) => (await jwtVerify(t, key, { ...options, algorithms: ["HS256"] })).payload;
  } else {
    throw new Error("No AUTH_JWT_SECRET or AUTH_JWKS_URL configured");
  }
  return async (token) => claimsSchema.parse(await verify(token));
}
