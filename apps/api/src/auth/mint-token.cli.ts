import { parseArgs } from "node:util";
import { loadConfig } from "@sis-sync/config";
import { mintToken } from "./mint-token";

// `pnpm token --role DISTRICT_ADMIN --tenant district-123` prints a token signed with the dev secret.
async function main() {
  const { values } = parseArgs({
    options: { role: { type: "string", multiple: true, default: ["DISTRICT_ADMIN"] }, tenant: { type: "string" }, sub: { type: "string", default: "dev-user" }, expires: { type: "string", default: "12h" } },
  });
  const config = loadConfig();
  if (!config.AUTH_JWT_SECRET) throw new Error("pnpm token needs AUTH_JWT_SECRET (or the development secret under .data/)");
  if (values.role!.includes("DISTRICT_ADMIN") && !values.tenant) throw new Error("--tenant <id> is required for DISTRICT_ADMIN");
  process.stdout.write(
    (await mintToken({ secret: config.AUTH_JWT_SECRET, roles: values.role!, tenantId: values.tenant, sub: values.sub, expiresIn: values.expires, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE })) + "\n",
  );
}
main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
