// The platform's JWT, kept in sessionStorage (gone when the tab closes). The payload is decoded
// here only to choose what to show; the API verifies the signature and enforces every rule.

const TOKEN_KEY = "sis-sync.token";
const TENANT_KEY = "sis-sync.tenant";

export interface Claims {
  sub?: string;
  roles: string[];
  tenantId?: string;
  exp?: number;
}

export function decodeToken(token: string): Claims | null {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))
        .split("")
        .map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0"))
        .join(""),
    );
    const payload = JSON.parse(json) as Record<string, unknown>;
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
    return {
      sub: typeof payload.sub === "string" ? payload.sub : undefined,
      roles,
      tenantId: typeof payload.tenantId === "string" ? payload.tenantId : undefined,
      exp: typeof payload.exp === "number" ? payload.exp : undefined,
    };
  } catch {
    return null;
  }
}

export function isExpired(claims: Claims, now = Date.now()): boolean {
  return claims.exp !== undefined && claims.exp * 1000 <= now;
}

export function loadToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(TENANT_KEY);
}
export function loadTenant(): string | null {
  return sessionStorage.getItem(TENANT_KEY);
}
export function saveTenant(tenantId: string): void {
  sessionStorage.setItem(TENANT_KEY, tenantId);
}

/** `pnpm demo` prints a link with `#token=…`: the fragment never reaches a server or its logs. */
export function takeTokenFromFragment(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  return decodeURIComponent(m[1]);
}
