import type { Browser, Page } from "playwright-core";
import { DISTRICT_SIZES, generateDistrict, mutate, startCleverPeer, type CleverPeer } from "@sis-sync/sis-simulator";
import { ensureAdminUiBuilt } from "./support/admin-ui-build";
import { CHROMIUM_PATH, chromiumAvailable, launchBrowser, newPage, signIn } from "./support/browser";
import { startTestStack, waitFor, type TestStack } from "../support/test-stack";

/** issue #9: the run detail page lists the run's roster changes, filterable by kind and action. */
jest.setTimeout(90_000);

let stack: TestStack;
let peer: CleverPeer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!chromiumAvailable()) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH)`);
  await ensureAdminUiBuilt();
  stack = await startTestStack({ inProcessWorker: true });
  peer = await startCleverPeer({ district: generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 81 }) });
  browser = await launchBrowser();
  page = await newPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await peer?.close();
  await stack?.close();
});

it("shows the run's changes and filters them by kind and action", async () => {
  const token = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "ui-changes" });
  const { clientId, clientSecret, districtId, baseUrl, tokenUrl } = peer.credentials;
  const created = await stack.request("POST", "/api/v1/providers", { token, body: { tenantId: "ui-changes", providerType: "CLEVER", name: "Clever", config: { clientId, clientSecret, districtId, baseUrl, tokenUrl } } });
  const providerId = created.body.id as string;
  const syncTo = async () => {
    const { runId } = (await stack.request("POST", `/api/v1/providers/${providerId}/sync`, { token })).body;
    return waitFor(async () => {
      const r = (await stack.request("GET", `/api/v1/runs/${runId}`, { token })).body;
      return r.status === "SUCCESS" && r;
    }, { timeoutMs: 30_000, what: "sync" });
  };
  await syncTo();
  const day1 = mutate(generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 81 }), { seed: 82 });
  peer.setDistrict(day1.district);
  const run = await syncTo();

  await signIn(page, stack.baseUrl, token);
  await page.goto(`${stack.baseUrl}/integrations/sis/providers/${providerId}/runs/${run.id}`);
  const section = page.locator("section", { has: page.getByRole("heading", { name: "Roster changes" }) });
  const rows = section.getByRole("table", { name: "Roster changes" }).locator("tbody tr");
  const total = ["schools", "classes", "users", "enrollments"].reduce((n, k) => n + run.stats[k].created + run.stats[k].updated + run.stats[k].deactivated, 0);
  await waitFor(async () => (await rows.count()) === Math.min(25, total) || undefined, { what: "change rows" });

  await section.getByLabel("Filter changes by kind").selectOption("users");
  await section.getByLabel("Filter changes by action").selectOption("deactivated");
  await waitFor(async () => (await rows.count()) === run.stats.users.deactivated || undefined, { what: "filtered rows" });
  for (const text of await rows.allInnerTexts()) expect(text).toMatch(/^users\s+deactivated\s+\w+\s+no longer in the SIS$/);

  await section.getByLabel("Filter changes by action").selectOption("updated");
  await waitFor(async () => (await rows.count()) === run.stats.users.updated || undefined, { what: "updated rows" });
  for (const text of await rows.allInnerTexts()) expect(text).toMatch(/^users\s+updated\s+\w+\s+\w+: .+ → .+$/);
});
