import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { generateDistrict, mutate, startSimulator, type CleverPeer, type District, type Simulator } from "@sis-sync/sis-simulator";
import { ensureAdminUiBuilt } from "./support/admin-ui-build";
import { CHROMIUM_PATH, chromiumAvailable, launchBrowser, newPage, signIn } from "./support/browser";
import { startTestStack, type TestStack } from "../support/test-stack";

/**
 * The district admin page (/integrations/sis) driven in Debian's Chromium against the real API,
 * an in-process worker, Postgres, Redis and the simulator's Clever and SFTP peers. Steps share one tenant
 * and run in order, like an administrator's first session.
 */

// Screenshots land in docs/ only when asked (SCREENSHOTS=1), so an ordinary test run leaves
// the tree clean; otherwise they go to a temp folder (still taken: they exercise the pages).
const DOCS = process.env.SCREENSHOTS === "1" ? resolve(__dirname, "../../../../docs") : mkdtempSync(join(tmpdir(), "sis-ui-shots-"));
const TENANT = "district-ui-a";
const OTHER_TENANT = "district-ui-b";
jest.setTimeout(90_000);

let stack: TestStack;
let sim: Simulator;
let peer: CleverPeer;
let district: District;
let browser: Browser;
let page: Page;
let providerId = "";
let sftpProviderId = "";

const shot = (name: string) => page.screenshot({ path: resolve(DOCS, name) });

beforeAll(async () => {
  if (!chromiumAvailable()) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH); .ci/run installs it`);
  await ensureAdminUiBuilt();
  mkdirSync(DOCS, { recursive: true });
  district = generateDistrict({ seed: 7, schools: 3, teachersPerSchool: 5, studentsPerSchool: 40, classesPerSchool: 6, enrollmentsPerStudent: 3 });
  sim = await startSimulator({ district });
  peer = sim.clever;
  stack = await startTestStack({ inProcessWorker: true });
  browser = await launchBrowser();
  page = await newPage(browser);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await sim?.close();
});

async function openProvider(): Promise<void> {
  await page.goto(`${stack.baseUrl}/integrations/sis/providers/${providerId}`);
  await page.getByRole("heading", { level: 1, name: "Riverside Clever" }).waitFor();
}

async function runSyncToEnd(): Promise<void> {
  await page.getByRole("button", { name: "Run sync now" }).click();
  await page.getByTestId("sync-result").waitFor({ timeout: 60_000 });
}

it("signs a DISTRICT_ADMIN in with a token and shows the empty list of their tenant", async () => {
  await signIn(page, stack.baseUrl, await stack.token({ sub: "ui-test", roles: ["DISTRICT_ADMIN"], tenantId: TENANT }));
  await page.getByRole("heading", { name: "SIS integrations", level: 1 }).waitFor();
  await expectVisible(page.getByText(`District: ${TENANT}`));
  await expectVisible(page.getByRole("heading", { name: "No integrations yet" }));
});

it("adds a Clever provider through the modal, showing the API's validation error beside its field", async () => {
  await page.getByRole("button", { name: "+ Add integration" }).click();
  const dialog = page.getByRole("dialog", { name: "Add SIS integration" });
  await dialog.waitFor();
  // Focus moves into the modal.
  expect(await page.evaluate("!!document.activeElement?.closest('[role=dialog]')")).toBe(true);
  await dialog.getByRole("radio", { name: /^Clever/ }).check();
  await shot("admin-ui-add-provider.png");
  await dialog.getByRole("button", { name: "Next", exact: true }).click();

  await dialog.getByLabel("Display name").fill("Riverside Clever");
  await dialog.getByLabel("Client ID").fill(peer.credentials.clientId);
  await dialog.getByLabel("Client secret").fill(peer.credentials.clientSecret);
  await dialog.getByLabel("District ID").fill(peer.credentials.districtId);
  await dialog.getByLabel("API base URL").fill("not a url");
  await dialog.getByLabel("Token URL").fill(peer.credentials.tokenUrl);
  await dialog.getByRole("button", { name: "Next: test connection" }).click();

  // 422 from the API: the message sits beside "API base URL" and the field is marked invalid.
  const baseUrl = dialog.getByRole("textbox", { name: "API base URL" });
  await expect_(baseUrl).toHaveAttribute("aria-invalid", "true");
  // …and focus moves to it, so a keyboard or screen-reader user lands on the problem.
  await waitUntil(() => baseUrl.evaluate((el) => el === el.ownerDocument.activeElement), "focus on the invalid field");
  const describedBy = (await baseUrl.getAttribute("aria-describedby"))!.split(" ")[0];
  await expectText(page.locator(`[id="${describedBy}"]`), /http\(s\) URL/);
  await shot("admin-ui-validation-error.png");

  await baseUrl.fill(peer.credentials.baseUrl);
  await dialog.getByRole("button", { name: "Next: test connection" }).click();

  // Step 3 tests the connection against the simulator and shows the API's message.
  const result = dialog.getByTestId("test-result");
  await expectText(result.getByRole("status"), /Connection OK/, 30_000);
  await shot("admin-ui-test-connection.png");
  await dialog.getByRole("button", { name: "Next: schedule" }).click();

  // Step 4: a preset, with its words previewed live.
  await dialog.getByRole("radio", { name: /^Preset/ }).check();
  await dialog.getByRole("combobox", { name: "Preset" }).selectOption("daily");
  await expectText(dialog.getByTestId("schedule-preview"), "Every day at 2:00 AM UTC");
  await dialog.getByRole("button", { name: "Save integration" }).click();

  await page.getByRole("heading", { level: 1, name: "Riverside Clever" }).waitFor();
  providerId = page.url().split("/providers/")[1];
  expect(providerId).toMatch(/^[0-9a-f-]{36}$/);
  await expectText(page.getByTestId("schedule-text"), "Every day at 2:00 AM UTC");

  // The list shows it with its schedule in words.
  await page.getByRole("link", { name: "Integrations" }).click();
  const row = page.locator(`tr[data-provider-id="${providerId}"]`);
  await expectText(row, /Riverside Clever/);
  await expectText(row, /Every day at 2:00 AM UTC/);
  await expectText(row, /Enabled/);
});

it("runs a sync and watches it reach SUCCESS, with counts in the history", async () => {
  await openProvider();
  await runSyncToEnd();
  const result = page.getByTestId("sync-result");
  await expectText(result, /Success/);
  const created = await result.locator('td[data-kind="users"][data-col="created"]').textContent();
  expect(Number(created!.replace(/,/g, ""))).toBeGreaterThan(100);

  await page.getByRole("link", { name: "Sync history" }).click();
  const rows = page.locator("table.runs-table tbody tr");
  await expect_(rows).toHaveCount(1);
  await expectText(rows.first(), /Success/);
  await expectText(rows.first(), /Manual/);
  expect(await rows.first().locator('td[data-kind="users"]').getAttribute("aria-label")).toMatch(/^[1-9]\d* created, 0 updated, 0 deactivated$/);
  expect(await rows.first().locator('td[data-kind="enrollments"]').getAttribute("aria-label")).toMatch(/^[1-9]\d* created/);
});

it("cancels a slow sync from the progress view", async () => {
  // Every Clever response now takes 2 s: the sync runs for half a minute or more.
  peer.setFaults({ latencyMs: 2_000 });
  try {
    await openProvider();
    await page.getByRole("button", { name: "Run sync now" }).click();
    const progress = page.getByTestId("sync-progress");
    await progress.waitFor();
    const users = progress.getByRole("progressbar", { name: "users processed" });
    await expectVisible(users);
    // Let some records arrive so the bars show something (the screenshot), then cancel.
    await waitUntil(async () => Number(await progress.getByRole("progressbar", { name: "schools processed" }).getAttribute("aria-valuenow")) > 0, "some progress", 8_000).catch(() => undefined);
    await page.waitForTimeout(500);
    await shot("admin-ui-sync-progress.png");
    await progress.getByRole("button", { name: "Cancel sync" }).click();
    await expectText(page.getByTestId("sync-result"), /Cancelled/, 60_000);
  } finally {
    peer.setFaults({});
  }
  await page.getByRole("link", { name: "Sync history" }).click();
  await expectText(page.locator("table.runs-table tbody tr").first(), /Cancelled/);
});

it("syncs the next day's export and shows updates and deactivations, and a run's detail", async () => {
  // A second export a day later: some students leave, some arrive, names change.
  district = mutate(district, { seed: 3, withdrawStudents: 0.05, newStudents: 0.05, changeNames: 0.05, retitleClasses: 0.1 }).district;
  peer.setDistrict(district);
  await openProvider();
  await runSyncToEnd();
  await expectText(page.getByTestId("sync-result"), /Success/);
  await shot("admin-ui-details.png");

  await page.getByRole("link", { name: "Sync history" }).click();
  const rows = page.locator("table.runs-table tbody tr");
  await expect_(rows).toHaveCount(3);
  await expectText(rows.first(), /Success/);
  expect(await rows.first().locator('td[data-kind="users"]').getAttribute("aria-label")).toMatch(/[1-9]\d* deactivated$/);
  await expectVisible(page.getByRole("img", { name: "Duration per run" }));
  await expectVisible(page.getByRole("img", { name: /Created, updated and deactivated/ }));

  await rows.first().getByRole("link", { name: /Details/ }).click();
  await page.getByRole("heading", { name: "Sync run", level: 1 }).waitFor();
  await expectVisible(page.getByRole("table", { name: "Changes by kind" }));
  await expectVisible(page.getByRole("heading", { name: "Record errors" }));
});

it("previews a sync as a dry run that writes nothing", async () => {
  district = mutate(district, { seed: 4, withdrawStudents: 0.05, newStudents: 0.05 }).district;
  peer.setDistrict(district);
  await openProvider();
  await page.getByLabel(/Dry run/).check();
  await page.getByRole("button", { name: "Preview sync (dry run)" }).click();
  const result = page.getByTestId("sync-result");
  await result.waitFor({ timeout: 60_000 });
  await expectText(result, /Dry run finished/);
  await expectText(result, /nothing was written/);
  const wouldCreate = await result.locator('td[data-kind="users"][data-col="created"]').textContent();
  expect(Number(wouldCreate)).toBeGreaterThan(0);
  await page.getByLabel(/Dry run/).uncheck();
  // Nothing was written: the real sync afterwards still has those users to create.
  await runSyncToEnd();
  expect(await page.getByTestId("sync-result").locator('td[data-kind="users"][data-col="created"]').textContent()).toBe(wouldCreate);
});

it("changes the schedule, and shows the API's error for a bad cron beside the field", async () => {
  await openProvider();
  await page.getByRole("button", { name: "Edit schedule" }).click();
  await page.getByRole("radio", { name: /^Custom cron/ }).check();
  const cron = page.getByRole("textbox", { name: "Cron expression" });
  await cron.fill("0 25 * * *");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect_(cron).toHaveAttribute("aria-invalid", "true");
  await expectText(page.locator(".field-invalid .field-error"), /syncSchedule|hour|25/);

  await cron.fill("30 5 * * 1-5");
  await page.getByRole("combobox", { name: "Timezone" }).fill("America/Chicago");
  await expectText(page.getByTestId("schedule-preview"), "Monday through Friday at 5:30 AM (America/Chicago)");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expectText(page.getByTestId("schedule-text"), "Monday through Friday at 5:30 AM (America/Chicago)");

  // The API stored it: a reload shows the same schedule.
  await page.reload();
  await expectText(page.getByTestId("schedule-text"), "Monday through Friday at 5:30 AM (America/Chicago)");
});

it("edits credentials keeping the stored secret, edits the sync rules, and disables and re-enables the provider", async () => {
  await openProvider();
  await page.getByRole("button", { name: "Edit credentials" }).click();
  const dialog = page.getByRole("dialog");
  await expect_(dialog.getByLabel("Client secret")).toHaveValue("********");
  await dialog.getByLabel("Display name").fill("Riverside Clever");
  await dialog.getByRole("button", { name: "Save credentials" }).click();
  await expectText(page.getByRole("status").filter({ hasText: "Credentials saved" }), /Credentials saved/);
  // The secret survived the round trip: the connection still works.
  await page.getByRole("button", { name: "Test connection" }).click();
  await expectText(page.getByRole("status").filter({ hasText: "Connection" }), /Connection OK/, 30_000);

  // Sync rules: the API refuses a limit above 100% and says so beside the field.
  await page.getByRole("button", { name: "Edit rules" }).click();
  const limit = page.getByRole("spinbutton", { name: /Deactivation safety limit/ });
  await limit.fill("150");
  await page.getByRole("button", { name: "Save rules" }).click();
  await expect_(limit).toHaveAttribute("aria-invalid", "true");
  await limit.fill("30");
  await page.getByRole("button", { name: "Save rules" }).click();
  await expectText(page.locator("section", { has: page.getByRole("heading", { name: "Sync rules" }) }), /30% of a kind per sync/);

  const toggle = page.getByRole("switch");
  await toggle.click();
  await expect_(toggle).toHaveAttribute("aria-checked", "false");
  await expect_(page.getByRole("button", { name: "Run sync now" })).toBeDisabled();
  await toggle.click();
  await expect_(toggle).toHaveAttribute("aria-checked", "true");
});

it("adds a OneRoster CSV provider over SFTP with a password, and cancelling a draft removes it", async () => {
  const s = sim.sftp.credentials;
  await page.goto(`${stack.baseUrl}/integrations/sis/`);
  await page.getByRole("button", { name: "+ Add integration" }).click();
  let dialog = page.getByRole("dialog", { name: "Add SIS integration" });
  await dialog.getByRole("radio", { name: /^OneRoster CSV/ }).check();
  await dialog.getByRole("button", { name: "Next", exact: true }).click();
  await dialog.getByLabel("Display name").fill("Riverside SFTP export");
  await dialog.getByLabel("SFTP host").fill(s.host);
  await dialog.getByLabel("SFTP port").fill(String(s.port));
  await dialog.getByLabel("SFTP username").fill(s.username);
  await dialog.getByRole("combobox", { name: "Sign in with" }).selectOption("password");
  await dialog.getByLabel("SFTP password").fill(s.password);
  await dialog.getByLabel("Host key fingerprint").fill(s.hostKeySha256);
  await dialog.getByLabel("Remote path").fill(s.remotePath);
  await dialog.getByRole("button", { name: "Next: test connection" }).click();
  await expectText(dialog.getByTestId("test-result").getByRole("status"), /Connection OK/, 30_000);
  await dialog.getByRole("button", { name: "Next: schedule" }).click();
  await dialog.getByRole("radio", { name: /^Manual only/ }).check();
  await dialog.getByRole("button", { name: "Save integration" }).click();
  await page.getByRole("heading", { level: 1, name: "Riverside SFTP export" }).waitFor();
  await expectText(page.getByTestId("schedule-text"), "Manual only");
  sftpProviderId = page.url().split("/providers/")[1];

  // A draft: credentials saved (so the connection could be tested), then the modal is closed
  // with Escape. Focus returns to the button that opened it, and the draft is gone.
  await page.getByRole("link", { name: "Integrations" }).click();
  const add = page.getByRole("button", { name: "+ Add integration" });
  await add.click();
  dialog = page.getByRole("dialog", { name: "Add SIS integration" });
  await dialog.getByRole("button", { name: "Next", exact: true }).click();
  await dialog.getByLabel("Display name").fill("Abandoned draft");
  await dialog.getByLabel("Client ID").fill("x");
  await dialog.getByLabel("Client secret").fill("y");
  await dialog.getByLabel("District ID").fill("z");
  await dialog.getByLabel("API base URL").fill(peer.credentials.baseUrl);
  await dialog.getByLabel("Token URL").fill(peer.credentials.tokenUrl);
  await dialog.getByRole("button", { name: "Next: test connection" }).click();
  await expectText(dialog.getByTestId("test-result").getByRole("status"), /Connection failed/, 30_000);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  expect(await add.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  await waitUntil(async () => {
    const list = await stack.request<{ data: { name: string }[] }>("GET", `/api/v1/tenants/${TENANT}/providers`, { token: await stack.token({ sub: "t", roles: ["DISTRICT_ADMIN"], tenantId: TENANT }) });
    return list.body.data.length === 2 && !list.body.data.some((p) => p.name === "Abandoned draft");
  }, "the draft to be deleted");
  await page.reload();
  await expect_(page.locator("table.providers-table tbody tr")).toHaveCount(2);
});

it("takes the screenshots of the list and the history, and fits a tablet", async () => {
  await page.goto(`${stack.baseUrl}/integrations/sis/`);
  await page.locator(`tr[data-provider-id="${providerId}"]`).waitFor();
  await shot("admin-ui-list.png");
  await openProvider();
  await page.getByRole("link", { name: "Sync history" }).click();
  await page.locator("table.runs-table tbody tr").first().waitFor();
  await page.waitForTimeout(300);
  await shot("admin-ui-history.png");

  // A tablet (iPad Air, portrait): the same pages in one column, nothing cut off sideways.
  await page.setViewportSize({ width: 820, height: 1180 });
  try {
    await openProvider();
    await shot("admin-ui-tablet-details.png");
    const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.goto(`${stack.baseUrl}/integrations/sis/`);
    await page.locator(`tr[data-provider-id="${providerId}"]`).waitFor();
    await shot("admin-ui-tablet-list.png");
    // The list's actions stay on screen: no sideways scrolling inside the table either.
    const tableOverflow = await page.evaluate("(() => { const t = document.querySelector('.table-scroll'); return t.scrollWidth - t.clientWidth; })()");
    expect(tableOverflow).toBeLessThanOrEqual(0);
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

it("shows a PARTIAL run's record errors, and deletes a provider after confirmation", async () => {
  // users.csv gets a row with an unterminated quote: that record is rejected, the rest load.
  await sim.sftp.setFaults({ malformedRowInUsers: true });
  try {
    await page.goto(`${stack.baseUrl}/integrations/sis/providers/${sftpProviderId}`);
    await page.getByRole("heading", { level: 1, name: "Riverside SFTP export" }).waitFor();
    await runSyncToEnd();
    await expectText(page.getByTestId("sync-result"), /Partial/);
  } finally {
    await sim.sftp.setFaults({});
  }
  await page.getByRole("link", { name: "Sync history" }).click();
  const row = page.locator("table.runs-table tbody tr").first();
  await expectText(row, /Partial/);
  await row.getByRole("link", { name: /Details/ }).click();
  const errorsTable = page.locator("section", { has: page.getByRole("heading", { name: "Record errors" }) }).getByRole("table");
  await expectText(errorsTable, /sim-malformed-row/);
  await expectText(errorsTable, /Quoted field unterminated/);
  await shot("admin-ui-run-detail.png");

  // Delete: the button stays disabled until the name is typed.
  await page.goto(`${stack.baseUrl}/integrations/sis/providers/${sftpProviderId}`);
  await page.getByRole("button", { name: "Delete integration…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete integration?" });
  const confirm = dialog.getByRole("button", { name: "Delete integration" });
  await expect_(confirm).toBeDisabled();
  await dialog.getByRole("textbox").fill("Riverside SFTP export");
  await confirm.click();
  await page.getByRole("heading", { name: "SIS integrations", level: 1 }).waitFor();
  await expect_(page.locator("table.providers-table tbody tr")).toHaveCount(1);
  const token = await stack.token({ sub: "t", roles: ["DISTRICT_ADMIN"], tenantId: TENANT });
  expect((await stack.request("GET", `/api/v1/providers/${sftpProviderId}`, { token })).status).toBe(404);
});

it("shows a DISTRICT_ADMIN of another tenant nothing of this one", async () => {
  const other = await newPage(browser);
  try {
    await signIn(other, stack.baseUrl, await stack.token({ sub: "ui-test", roles: ["DISTRICT_ADMIN"], tenantId: OTHER_TENANT }));
    await expectVisible(other.getByText(`District: ${OTHER_TENANT}`));
    await expectVisible(other.getByRole("heading", { name: "No integrations yet" }));
    expect(await other.getByText("Riverside Clever").count()).toBe(0);

    // A direct link to this tenant's provider: the API answers 404 and the page says so.
    await other.goto(`${stack.baseUrl}/integrations/sis/providers/${providerId}`);
    await expectText(other.getByRole("alert"), /does not exist/);
    await other.goto(`${stack.baseUrl}/integrations/sis/providers/${providerId}/history`);
    await expectText(other.getByRole("alert"), /does not exist/);
    expect(await other.locator("table.runs-table").count()).toBe(0);
    expect(await other.getByText("Riverside Clever").count()).toBe(0);
    // No Bull Board for a district admin: the UI offers no link and the route refuses.
    expect(await other.getByRole("link", { name: /Bull Board/ }).count()).toBe(0);
    expect([401, 403]).toContain((await other.request.get(`${stack.baseUrl}/admin/queues`)).status());
  } finally {
    await other.context().close();
  }
});

it("shows 'not allowed' to a role that is not an admin", async () => {
  const p = await newPage(browser);
  try {
    await signIn(p, stack.baseUrl, await stack.token({ sub: "ui-test", roles: ["TEACHER"], tenantId: TENANT }));
    await expectText(p.getByTestId("not-allowed"), /Not allowed/);
    expect(await p.getByText("Riverside Clever").count()).toBe(0);
  } finally {
    await p.context().close();
  }
});

it("gives a PLATFORM_ADMIN a tenant picker and a link to Bull Board", async () => {
  const p = await newPage(browser);
  try {
    await signIn(p, stack.baseUrl, await stack.token({ sub: "ui-test", roles: ["PLATFORM_ADMIN"] }));
    await p.getByLabel("Tenant").fill(TENANT);
    await p.getByRole("button", { name: "Open" }).click();
    await expectVisible(p.getByRole("link", { name: "Riverside Clever" }));
    const queues = p.getByRole("link", { name: "Queues (Bull Board)" });
    await queues.waitFor();
    const res = await p.request.get(`${stack.baseUrl}/admin/queues`);
    expect(res.status()).toBe(200);
  } finally {
    await p.context().close();
  }
});

// --- tiny assertion helpers over playwright-core (which has no `expect` of its own) ---

async function waitUntil(check: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = false;
  while (Date.now() < deadline) {
    last = await check().catch(() => false);
    if (last) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
}

async function expectVisible(locator: Locator, timeout = 20_000): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout });
}

async function expectText(locator: Locator, expected: string | RegExp, timeout = 20_000): Promise<void> {
  let seen = "";
  await waitUntil(
    async () => {
      seen = (await locator.first().textContent({ timeout: 1_000 })) ?? "";
      return typeof expected === "string" ? seen.includes(expected) : expected.test(seen);
    },
    `text ${String(expected)} in ${locator.toString()}`,
    timeout,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last text: ${JSON.stringify(seen.slice(0, 300))}`);
  });
}

function expect_(locator: Locator) {
  return {
    toHaveAttribute: (name: string, value: string) => waitUntil(async () => (await locator.getAttribute(name, { timeout: 1_000 })) === value, `${locator} [${name}=${value}]`),
    toHaveValue: (value: string) => waitUntil(async () => (await locator.inputValue({ timeout: 1_000 })) === value, `${locator} value ${value}`),
    toHaveCount: (n: number) => waitUntil(async () => (await locator.count()) === n, `${locator} count ${n}`),
    toBeDisabled: () => waitUntil(() => locator.isDisabled({ timeout: 1_000 }), `${locator} disabled`),
  };
}
