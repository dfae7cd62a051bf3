// Dev-only: `pnpm exec tsx apps/api/test/ui/support/dev-stack.cli.ts` → a throwaway API + worker for UI work.
import { startUiStack } from "./ui-stack";

async function main() {
  const stack = await startUiStack({ PORT: process.env.PORT ?? "3900" });
  const district = await stack.mintToken({ roles: ["DISTRICT_ADMIN"], tenantId: "district-a" });
  const platform = await stack.mintToken({ roles: ["PLATFORM_ADMIN"] });
  console.log(JSON.stringify({ baseUrl: stack.baseUrl, district, platform }));
  process.on("SIGINT", () => void stack.close().then(() => process.exit(0)));
  process.on("SIGTERM", () => void stack.close().then(() => process.exit(0)));
}
void main();
