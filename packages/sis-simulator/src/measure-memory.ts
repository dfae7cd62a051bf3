/**
 * Measures peak RSS while streaming a whole district to OneRoster CSV (the README's figure):
 *   pnpm exec tsx packages/sis-simulator/src/measure-memory.ts [size=large] [zip]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { writeOneRosterCsv } from "./csv/oneroster-csv";
import { DISTRICT_SIZES, generateDistrict, type DistrictSize } from "./generator";

async function main(): Promise<void> {
  const size = (process.argv[2] ?? "large") as DistrictSize;
  const zip = process.argv.includes("zip");
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const dir = await mkdtemp(join(tmpdir(), "sis-sim-measure-"));
  const started = Date.now();
  try {
    const district = generateDistrict({ ...DISTRICT_SIZES[size], seed: 1 });
    const out = await writeOneRosterCsv(district, join(dir, "export"), { zip });
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        size,
        zip,
        rows: out.rows,
        seconds: Math.round((Date.now() - started) / 1000),
        baselineRssMiB: mib(baseline),
        peakRssMiB: mib(peakRss),
        peakHeapUsedMiB: mib(peakHeap),
        cpus: cpus().length,
        node: process.version,
        date: new Date().toISOString(),
      }),
    );
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
