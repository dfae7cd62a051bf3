/**
 * The OneRoster 1.1 REST peer of the simulator in a process of its own, for the benchmark's
 * over-HTTP steps (`pnpm bench --http`): the syncs under test then pay for paging, JSON and OAuth
 * as against a real SIS, while the server's own CPU is not counted in their peak RSS.
 * Prints one JSON line with the credentials, then answers lines on stdin:
 *   day N            serve day N (n successive daily changes, as bench-child's district(), seed 42)
 *   warm <cursor>    build the delta of every roster collection since <cursor> now, as a real
 *                    server answers a dateLastModified filter from an index: the simulator computes
 *                    a delta by scanning the district, which is not the sync's time
 * each answered by a line `ok` (or `error <message>`).
 */
import { createInterface } from "node:readline";
import { DISTRICT_SIZES, generateDistrict, mutate, type District, type DistrictSize } from "../packages/sis-simulator/src/generator";
import { startOneRosterPeer } from "../packages/sis-simulator/src/oneroster/oneroster-peer";

const args = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
const size = args.size as DistrictSize;

async function main() {
  let district: District = generateDistrict({ ...DISTRICT_SIZES[size], seed: 42 });
  const peer = await startOneRosterPeer({ district });
  const { baseUrl, clientId, clientSecret, tokenUrl } = peer.credentials;
  process.stdout.write(JSON.stringify({ baseUrl, clientId, clientSecret }) + "\n");

  const warm = async (cursor: string) => {
    const token = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}` },
      body: "grant_type=client_credentials",
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    // The exact filter the connector sends (oneroster-connector.ts), so the peer's delta cache matches.
    const filter = encodeURIComponent(`dateLastModified>'${cursor.replace(/'/g, "''")}'`);
    for (const path of ["/orgs", "/classes", "/users", "/enrollments"]) {
      const res = await fetch(`${baseUrl}${path}?filter=${filter}&limit=1&offset=0`, { headers: { authorization: `Bearer ${token.access_token}` } });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    }
  };

  for await (const line of createInterface({ input: process.stdin })) {
    const [command, value] = line.trim().split(/\s+/, 2);
    try {
      if (command === "day") {
        for (let day = district.day + 1; day <= Number(value); day++) {
          district = mutate(district, { seed: 42 + day }).district;
          peer.setDistrict(district);
        }
      } else if (command === "warm") {
        await warm(value);
      } else {
        throw new Error(`unknown command ${command}`);
      }
      process.stdout.write("ok\n");
    } catch (e) {
      process.stdout.write(`error ${(e as Error).message}\n`);
    }
  }
  await peer.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
