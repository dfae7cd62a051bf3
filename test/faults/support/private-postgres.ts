import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "./fault-kit";

/**
 * A PostgreSQL cluster of one test's own (never the shared server on 5432), from Debian's
 * binaries, in a temp dir, on a free loopback port — so the test can really restart it.
 * Postgres refuses to run as root: then every command runs as the `postgres` OS user, which
 * owns the temp dir.
 */
export interface PrivatePostgres {
  port: number;
  /** Connection URL for `database` (trust auth, user postgres). */
  url(database?: string): string;
  /** `pg_ctl restart -m fast`: backends are terminated, open transactions roll back, then it accepts connections again. */
  restart(): Promise<void>;
  /** Stops the server (immediate) and deletes its directory; safe to call twice. */
  destroy(): void;
  /** The server's log so far (for failure messages). */
  log(): string;
}

/** Newest Debian PostgreSQL whose bin dir has initdb, else `pg_config --bindir`. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin/initdb"))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length) return join(root, versions[0], "bin");
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const dir = pgConfig.status === 0 ? pgConfig.stdout.trim() : "";
  if (dir && existsSync(join(dir, "initdb"))) return dir;
  throw new Error("No PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or `pg_config --bindir`: apt-get install postgresql");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "sis-fault-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  if (asRoot) {
    const pw = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (pw.status !== 0) throw new Error("Running as root and there is no `postgres` OS user to run a private PostgreSQL as");
    chownSync(dir, Number(pw.stdout), Number(gid.stdout));
  }
  const command = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args]);
  // cwd: the postgres user may not be allowed into the caller's working directory.
  const spawnOptions = { cwd: dir, encoding: "utf8" as const, timeout: 60_000, env: { ...process.env, LC_ALL: "C" } };
  const failed = (cmd: string, args: string[], detail: string) =>
    new Error(`${cmd} ${args.join(" ")} failed: ${detail}\n${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : ""}`);
  /** Blocking: for set-up and tear-down only (and the exit hook, which cannot wait). */
  const runSync = (cmd: string, args: string[]) => {
    const r = spawnSync(...command(cmd, args), spawnOptions);
    if (r.status !== 0) throw failed(cmd, args, `${r.status ?? r.signal} ${r.stderr || r.stdout}${r.error ? ` ${r.error.message}` : ""}`);
  };
  /** Not blocking: the in-process API keeps its event loop while the server restarts. */
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => execFile(...command(cmd, args), spawnOptions, (err, stdout, stderr) => (err ? reject(failed(cmd, args, `${err.message} ${stderr || stdout}`)) : resolve())));

  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener("exit", destroy);
    if (existsSync(join(data, "postmaster.pid"))) {
      try {
        runSync("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"]);
      } catch {
        /* already stopped */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Jest runs afterAll even when a test fails; this covers a worker process that exits without it.
  process.once("exit", destroy);

  try {
    const port = await freePort();
    runSync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
    // The socket lives in the temp dir (the default /var/run/postgresql may not be writable);
    // fsync off only matters for an OS crash, which this test does not simulate.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=60`;
    await run("pg_ctl", ["start", "-D", data, "-l", logFile, "-o", options, "-w", "-t", "30"]);
    return {
      port,
      url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
      async restart() {
        // pg_ctl restart reuses the options of the last start (postmaster.opts), but not -l:
        // without it the new postmaster would hold pg_ctl's output pipes open.
        await run("pg_ctl", ["restart", "-D", data, "-l", logFile, "-m", "fast", "-w", "-t", "30"]);
      },
      destroy,
      log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    };
  } catch (e) {
    destroy();
    throw e;
  }
}
