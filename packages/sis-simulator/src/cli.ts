/**
 * `pnpm sim --size tiny|small|medium|large --seed N`: starts every peer on loopback, prints
 * how to reach them, and runs until Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISTRICT_SIZES, generateDistrict, type DistrictSize } from "./generator";
import { startSimulator } from "./simulator";

function argument(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
}

async function main(): Promise<void> {
  const size = (argument("size") ?? "small") as DistrictSize;
  if (!(size in DISTRICT_SIZES)) throw new Error(`--size must be one of ${Object.keys(DISTRICT_SIZES).join(", ")}`);
  const seed = Number(argument("seed") ?? 1);
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");

  const started = Date.now();
  const district = generateDistrict({ ...DISTRICT_SIZES[size], seed });
  const sim = await startSimulator({ district });
  const keyDir = mkdtempSync(join(tmpdir(), "sis-sim-key-"));
  const keyFile = join(keyDir, "sftp_ed25519");
  writeFileSync(keyFile, sim.sftp.credentials.privateKey, { mode: 0o600 });

  const c = sim.clever.credentials;
  const o = sim.oneroster.credentials;
  const l = sim.classlink.credentials;
  const s = sim.sftp.credentials;
  const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString("base64");
  const lines = [
    `sis-simulator: ${size} district (seed ${seed}) ${district.org.name}: ${district.schools.count} schools, ${district.users.count} users, ${district.classes.count} classes, ${district.enrollments.count} enrollments; ready in ${Date.now() - started} ms`,
    "",
    "Clever Data API v3.0",
    `  url            ${sim.clever.url}`,
    `  baseUrl        ${c.baseUrl}`,
    `  tokenUrl       ${c.tokenUrl}`,
    `  clientId       ${c.clientId}`,
    `  clientSecret   ${c.clientSecret}`,
    `  districtId     ${c.districtId}`,
    `  accessToken    ${c.accessToken}`,
    `  try: curl -H 'Authorization: Bearer ${c.accessToken}' '${sim.clever.url}/users?role=student&limit=2'`,
    `       curl -H 'Authorization: Basic ${basic(c.clientId, c.clientSecret)}' '${c.tokenUrl}?owner_type=district&district=${c.districtId}'`,
    "",
    "OneRoster 1.1 REST (OAuth 1.0a HMAC-SHA256 or OAuth 2.0 client credentials)",
    `  baseUrl        ${o.baseUrl}`,
    `  tokenUrl       ${o.tokenUrl}`,
    `  clientId       ${o.clientId}`,
    `  clientSecret   ${o.clientSecret}`,
    `  try: TOKEN=$(curl -s -u '${o.clientId}:${o.clientSecret}' -d grant_type=client_credentials ${o.tokenUrl} | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
    `       curl -si -H "Authorization: Bearer $TOKEN" '${o.baseUrl}/users?limit=2&offset=0'`,
    "",
    "ClassLink Roster Server (proxy URL shape, bearer)",
    `  baseUrl        ${l.baseUrl}`,
    `  tenantId       ${l.tenantId}`,
    `  rosterUrl      ${l.rosterUrl}`,
    `  accessToken    ${l.accessToken}`,
    `  clientId       ${l.clientId}`,
    `  clientSecret   ${l.clientSecret}`,
    `  try: curl -H 'Authorization: Bearer ${l.accessToken}' '${l.rosterUrl}/schools?limit=2'`,
    "",
    "OneRoster 1.1 CSV over SFTP",
    `  host:port      ${s.host}:${s.port}`,
    `  username       ${s.username}`,
    `  password       ${s.password}`,
    `  privateKey     ${keyFile}`,
    `  hostKey        ${s.hostKeySha256}`,
    `  remotePath     ${s.remotePath} (zip: ${s.zipPath})`,
    `  try: sftp -i ${keyFile} -P ${s.port} ${s.username}@127.0.0.1`,
    "",
    `Admin (each HTTP peer): GET <origin>/__admin/stats, POST <origin>/__admin/district {"size":"tiny","seed":2,"days":1}, POST <origin>/__admin/faults {...}`,
    "Ctrl-C to stop.",
  ];
  console.log(lines.join("\n"));

  const stop = async () => {
    await sim.close();
    rmSync(keyDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
