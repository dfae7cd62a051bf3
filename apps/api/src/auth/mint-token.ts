import { SignJWT } from "jose";

export interface MintOptions {
  secret: string;
  sub?: string;
  roles: string[];
  tenantId?: string;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

/** HS256 token for development, demos and tests (production tokens come from the platform's IdP). */
export async function mintToken({ secret, sub = "dev-user", roles, tenantId, expiresIn = "12h", issuer, audience }: MintOptions): Promise<string> {
  let jwt = new SignJWT({ roles, ...(tenantId ? { tenantId } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
