import type { RequestHandler, Response } from "express";
import { forbidden, notFound, unauthorized } from "../errors/http-errors";
import { ROLES, type AuthClaims, type VerifyToken } from "./jwt-verifier";

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return m?.[1];
}

/** Verifies the bearer token and requires PLATFORM_ADMIN or DISTRICT_ADMIN (api.md "Auth"). */
export function requireAdmin(verify: VerifyToken): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw unauthorized();
    let claims: AuthClaims;
    try {
      claims = await verify(token);
    } catch {
      throw unauthorized("The bearer token is invalid or expired");
    }
    const isPlatform = claims.roles.includes(ROLES.platformAdmin);
    const isDistrict = claims.roles.includes(ROLES.districtAdmin) && !!claims.tenantId;
    if (!isPlatform && !isDistrict) throw forbidden("Only PLATFORM_ADMIN and DISTRICT_ADMIN may use this API");
    res.locals.auth = claims;
    next();
  };
}

export const authOf = (res: Response): AuthClaims => res.locals.auth as AuthClaims;

export function canAccessTenant(claims: AuthClaims, tenantId: string): boolean {
  return claims.roles.includes(ROLES.platformAdmin) || claims.tenantId === tenantId;
}

/** Tenant list routes: another tenant is 403. */
export function assertTenantRoute(claims: AuthClaims, tenantId: string): void {
  if (!canAccessTenant(claims, tenantId)) throw forbidden("You may only access your own tenant");
}

/** Resources by id: another tenant's is 404, never leaking that it exists. */
export function assertTenantResource(claims: AuthClaims, tenantId: string, what: string): void {
  if (!canAccessTenant(claims, tenantId)) throw notFound(what);
}
