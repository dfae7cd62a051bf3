/**
 * The Kubernetes manifests, checked without a cluster: every YAML parses, the kustomizations
 * render (deploy/test/kustomize.ts), every rendered object validates against the Kubernetes
 * (kubernetes-models) and KEDA (@kubernetes-models/keda) JSON schemas shipped offline in npm
 * packages, with no unknown fields in the parts we write by hand, and the deployment rules of
 * issue #8 hold (probes, scrape annotations, security context, resources, grace periods,
 * KEDA list name, secrets only as placeholders).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { envSchema } from "@sis-sync/config";
import { SYNC_QUEUE_NAME } from "@sis-sync/queue";
import { K8S_DIR, REPO_ROOT, kustomizationFiles, mergePatch, podSpecsOf, readYamlDocuments, relative, renderKustomization, type K8sObject } from "./kustomize";

/* eslint-disable @typescript-eslint/no-require-imports */
const MODELS: Record<string, () => { validate(): void } | any> = {
  "v1/ConfigMap": () => require("kubernetes-models/v1/ConfigMap").ConfigMap,
  "v1/Secret": () => require("kubernetes-models/v1/Secret").Secret,
  "v1/Service": () => require("kubernetes-models/v1/Service").Service,
  "v1/ServiceAccount": () => require("kubernetes-models/v1/ServiceAccount").ServiceAccount,
  "v1/Namespace": () => require("kubernetes-models/v1/Namespace").Namespace,
  "apps/v1/Deployment": () => require("kubernetes-models/apps/v1/Deployment").Deployment,
  "batch/v1/Job": () => require("kubernetes-models/batch/v1/Job").Job,
  "policy/v1/PodDisruptionBudget": () => require("kubernetes-models/policy/v1/PodDisruptionBudget").PodDisruptionBudget,
  "keda.sh/v1alpha1/ScaledObject": () => require("@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject").ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": () => require("@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication").TriggerAuthentication,
};

/** Property names a compiled kubernetes-models validator knows (its schema is not exported as JSON). */
const SCHEMAS_DIR = resolve(require.resolve("kubernetes-models/apps/v1/Deployment"), "../../../_schemas");
const knownKeys = new Map<string, Set<string>>();
function keysOf(schema: string): Set<string> {
  let keys = knownKeys.get(schema);
  if (!keys) {
    const src: string = require(join(SCHEMAS_DIR, `${schema}.js`)).validate.toString();
    keys = new Set([...src.matchAll(/void 0===data\.(\w+)/g)].map((m) => m[1]));
    if (keys.size === 0) throw new Error(`could not read the properties of ${schema}`);
    knownKeys.set(schema, keys);
  }
  return keys;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The JSON schemas allow unknown fields (the API server drops or rejects them): catch typos here. */
function unknownFields(obj: K8sObject): string[] {
  const out: string[] = [];
  const check = (value: any, schema: string, path: string) => {
    if (!value || typeof value !== "object") return;
    const keys = keysOf(schema);
    for (const k of Object.keys(value)) if (!keys.has(k)) out.push(`${path}.${k}`);
  };
  const pod = (spec: any, path: string) => {
    check(spec, "IoK8sApiCoreV1PodSpec", path);
    check(spec?.securityContext, "IoK8sApiCoreV1PodSecurityContext", `${path}.securityContext`);
    for (const [i, c] of (spec?.containers ?? []).entries()) {
      const p = `${path}.containers[${i}]`;
      check(c, "IoK8sApiCoreV1Container", p);
      check(c.securityContext, "IoK8sApiCoreV1SecurityContext", `${p}.securityContext`);
      for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) check(c[probe], "IoK8sApiCoreV1Probe", `${p}.${probe}`);
      check(c.resources, "IoK8sApiCoreV1ResourceRequirements", `${p}.resources`);
    }
  };
  if (obj.kind === "Deployment") {
    check(obj.spec, "IoK8sApiAppsV1DeploymentSpec", "spec");
    check(obj.spec?.template, "IoK8sApiCoreV1PodTemplateSpec", "spec.template");
    pod(obj.spec?.template?.spec, "spec.template.spec");
  }
  if (obj.kind === "Job") {
    check(obj.spec, "IoK8sApiBatchV1JobSpec", "spec");
    pod(obj.spec?.template?.spec, "spec.template.spec");
  }
  if (obj.kind === "Service") check(obj.spec, "IoK8sApiCoreV1ServiceSpec", "spec");
  if (obj.kind === "PodDisruptionBudget") check(obj.spec, "IoK8sApiPolicyV1PodDisruptionBudgetSpec", "spec");
  return out;
}

function validateSchema(obj: K8sObject): void {
  const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name}): add it to MODELS`);
  const Model = model();
  new Model(obj).validate();
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

const ENV_KEYS = new Set(Object.keys(envSchema.shape));
const BASE = join(K8S_DIR, "base");
const OVERLAYS = readdirSync(join(K8S_DIR, "overlays")).map((o) => join(K8S_DIR, "overlays", o));
const SECRET_TEMPLATE = join(BASE, "secret.template.yaml");
const byKind = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const containers = (o: K8sObject) => podSpecsOf(o).flatMap((s) => s.containers ?? []);

describe("deploy/k8s: every YAML file", () => {
  const files = yamlFiles(K8S_DIR);

  it("finds the base, the production overlay and the secret template", () => {
    const rel = files.map(relative);
    expect(rel).toEqual(expect.arrayContaining(["deploy/k8s/base/kustomization.yaml", "deploy/k8s/overlays/production/kustomization.yaml", "deploy/k8s/base/secret.template.yaml"]));
  });

  it.each(files.map((f) => [relative(f), f]))("%s parses and every document has apiVersion and kind", (_rel, file) => {
    const docs = readYamlDocuments(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(typeof d.apiVersion).toBe("string");
      expect(typeof d.kind).toBe("string");
    }
  });

  it("every manifest file is used by a kustomization (or is the secret template)", () => {
    const used = new Set([BASE, ...OVERLAYS].flatMap(kustomizationFiles));
    const unused = files.filter((f) => !used.has(f) && f !== SECRET_TEMPLATE).map(relative);
    expect(unused).toEqual([]);
  });
});

describe("the test renderer", () => {
  it("merges containers by name and replaces scalars (strategic merge)", () => {
    const target = { spec: { replicas: 1, containers: [{ name: "a", image: "x", resources: { limits: { cpu: "1" } } }, { name: "b", image: "y" }] } };
    const patched = mergePatch(target, { spec: { replicas: 3, containers: [{ name: "a", resources: { limits: { memory: "1Gi" } } }] } }, true);
    expect(patched).toEqual({ spec: { replicas: 3, containers: [{ name: "a", image: "x", resources: { limits: { cpu: "1", memory: "1Gi" } } }, { name: "b", image: "y" }] } });
    expect(target.spec.replicas).toBe(1);
  });
  it("replaces lists of custom resources (JSON merge patch)", () => {
    expect(mergePatch({ spec: { triggers: [{ type: "a" }, { type: "b" }] } }, { spec: { triggers: [{ type: "c" }] } }, false)).toEqual({ spec: { triggers: [{ type: "c" }] } });
  });
});

describe.each([
  ["base", BASE],
  ...OVERLAYS.map((o) => [`overlays/${o.split("/").pop()}`, o]),
])("kustomization %s", (_name, dir) => {
  const objects = renderKustomization(dir as string);
  const config = byKind(objects, "ConfigMap", "sis-sync-config");
  const api = byKind(objects, "Deployment", "sis-sync-api");
  const worker = byKind(objects, "Deployment", "sis-sync-worker");
  const job = byKind(objects, "Job", "sis-sync-migrate");
  const scaled = byKind(objects, "ScaledObject", "sis-sync-worker");
  const workloads = objects.filter((o) => podSpecsOf(o).length);

  it("renders the expected objects", () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "ServiceAccount/sis-sync",
        "ConfigMap/sis-sync-config",
        "Deployment/sis-sync-api",
        "Service/sis-sync-api",
        "PodDisruptionBudget/sis-sync-api",
        "Deployment/sis-sync-worker",
        "ScaledObject/sis-sync-worker",
        "TriggerAuthentication/sis-sync-redis",
        "Job/sis-sync-migrate",
      ]),
    );
  });

  it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]))("%s validates against its JSON schema, with no unknown fields", (_id, obj) => {
    expect(() => validateSchema(obj as K8sObject)).not.toThrow();
    expect(unknownFields(obj as K8sObject)).toEqual([]);
  });

  it("keeps secret values out of the manifests: no Secret is rendered", () => {
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
  });

  it("ConfigMap keys are settings the service reads, with no secrets among them", () => {
    for (const key of Object.keys(config.data)) expect(ENV_KEYS.has(key) ? key : `unknown env var ${key}`).toBe(key);
    for (const secret of ["DATABASE_URL", "REDIS_URL", "CONFIG_ENCRYPTION_KEYS", "AUTH_JWT_SECRET"]) expect(config.data).not.toHaveProperty(secret);
    for (const v of Object.values(config.data)) expect(typeof v).toBe("string");
    expect(config.data.NODE_ENV).toBe("production");
  });

  it("every pod runs non-root, without privilege escalation or capabilities, on a read-only root filesystem", () => {
    for (const w of workloads) {
      const [spec] = podSpecsOf(w);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
        // The read-only root needs a writable /tmp (tsx's compile cache).
        const tmp = c.volumeMounts?.find((m: any) => m.mountPath === "/tmp");
        expect(tmp).toBeDefined();
        expect(spec.volumes.find((v: any) => v.name === tmp.name)?.emptyDir).toBeDefined();
      }
    }
  });

  it("every container has CPU and memory requests and a memory limit, requests within limits", () => {
    const qty = (q: string) => {
      const m = /^([\d.]+)(m|Ki|Mi|Gi)?$/.exec(String(q));
      if (!m) throw new Error(`bad quantity ${q}`);
      const n = Number(m[1]);
      return { m: n / 1000, Ki: n * 2 ** 10, Mi: n * 2 ** 20, Gi: n * 2 ** 30, "": n }[m[2] ?? ""]!;
    };
    for (const w of workloads)
      for (const c of containers(w)) {
        expect(c.resources?.requests?.cpu).toBeDefined();
        expect(c.resources?.requests?.memory).toBeDefined();
        expect(c.resources?.limits?.memory).toBeDefined();
        expect(qty(c.resources.requests.memory)).toBeLessThanOrEqual(qty(c.resources.limits.memory));
        if (c.resources.limits.cpu) expect(qty(c.resources.requests.cpu)).toBeLessThanOrEqual(qty(c.resources.limits.cpu));
      }
  });

  it("every container reads the ConfigMap and the Secret by the names the templates define", () => {
    const templateSecrets = readYamlDocuments(SECRET_TEMPLATE).map((s) => s.metadata.name);
    for (const w of workloads)
      for (const c of containers(w)) {
        const refs = c.envFrom ?? [];
        expect(refs.map((r: any) => r.configMapRef?.name).filter(Boolean)).toEqual(["sis-sync-config"]);
        const secrets = refs.map((r: any) => r.secretRef?.name).filter(Boolean);
        expect(secrets).toEqual(["sis-sync-secrets"]);
        expect(templateSecrets).toEqual(expect.arrayContaining(secrets));
      }
  });

  it("the API: readiness /readyz, liveness /healthz on its port, Prometheus scrape annotations, a Service and a PDB that select it", () => {
    const [c] = containers(api);
    const port = c.ports.find((p: any) => p.name === "http");
    expect(port.containerPort).toBe(Number(config.data.PORT));
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(api.spec.template.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": String(port.containerPort), "prometheus.io/path": "/metrics" });
    const podLabels = api.spec.template.metadata.labels;
    const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    expect(selects(api.spec.selector.matchLabels)).toBe(true);
    const svc = byKind(objects, "Service", "sis-sync-api");
    expect(selects(svc.spec.selector)).toBe(true);
    expect(svc.spec.ports[0].targetPort).toBe("http");
    const pdb = byKind(objects, "PodDisruptionBudget", "sis-sync-api");
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(api.spec.replicas);
    // The worker pods are not selected by the API's Service or PDB.
    const workerLabels = worker.spec.template.metadata.labels;
    expect(Object.entries(svc.spec.selector).every(([k, v]) => workerLabels[k] === v)).toBe(false);
  });

  it("the worker: terminationGracePeriodSeconds above WORKER_SHUTDOWN_GRACE_MS, no Service", () => {
    const graceMs = Number(config.data.WORKER_SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    // 10 s of headroom for the hand-back and process exit.
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(graceMs + 10_000);
    expect(objects.filter((o) => o.kind === "Service" && Object.entries(o.spec.selector ?? {}).every(([k, v]) => worker.spec.template.metadata.labels[k] === v))).toEqual([]);
  });

  it("KEDA scales the worker Deployment on the BullMQ wait list of the configured prefix and queue", () => {
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: worker.metadata.name });
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe("redis");
    expect(trigger.metadata.listName).toBe(`${config.data.REDIS_PREFIX}:${SYNC_QUEUE_NAME}:wait`);
    expect(Number(trigger.metadata.listLength)).toBeGreaterThan(0);
    // Workers promote delayed/scheduled jobs: never scale to zero.
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    // More pods than the fleet-wide cap can use would only idle.
    const useful = Math.ceil(Number(config.data.MAX_CONCURRENT_SYNCS) / Number(config.data.WORKER_CONCURRENCY));
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(useful);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
    // Its credentials come from a TriggerAuthentication backed by a templated Secret.
    const auth = byKind(objects, "TriggerAuthentication", trigger.authenticationRef.name);
    const templates = readYamlDocuments(SECRET_TEMPLATE);
    for (const ref of auth.spec.secretTargetRef) {
      const secret = templates.find((s) => s.metadata.name === ref.name);
      expect(secret?.stringData).toHaveProperty(ref.key);
    }
    expect(auth.spec.secretTargetRef.map((r: any) => r.parameter)).toEqual(expect.arrayContaining(["address"]));
  });

  it("the migration Job runs packages/db/src/migrate.cli.ts (pnpm db:migrate) with the API image, once", () => {
    const [c] = containers(job);
    expect(c.image).toBe(containers(api)[0].image);
    expect(c.command.join(" ")).toMatch(/^node --import=\S+tsx\S+ packages\/db\/src\/migrate\.cli\.ts$/);
    expect(statSync(resolve(REPO_ROOT, "packages/db/src/migrate.cli.ts")).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(resolve(REPO_ROOT, "package.json"), "utf8")).scripts["db:migrate"]).toBe("tsx packages/db/src/migrate.cli.ts");
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.backoffLimit).toBeLessThanOrEqual(5);
  });
});

describe("the production overlay", () => {
  const dir = OVERLAYS.find((o) => o.endsWith("/production"))!;
  const objects = renderKustomization(dir);

  it("puts every namespaced object in its namespace, which it creates with the restricted Pod Security level", () => {
    const ns = objects.find((o) => o.kind === "Namespace")!;
    expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of objects.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe(ns.metadata.name);
  });

  it("pins registry images with a tag (never :latest or a bare name)", () => {
    for (const o of objects)
      for (const c of containers(o)) {
        expect(c.image).toMatch(/^[a-z0-9.-]+(:\d+)?\/[\w./-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
  });

  it("runs more than one API replica, kept by the PDB", () => {
    const api = byKind(objects, "Deployment", "sis-sync-api");
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(byKind(objects, "PodDisruptionBudget", "sis-sync-api").spec.minAvailable).toBeGreaterThanOrEqual(1);
  });
});

describe("the secret template", () => {
  const secrets = readYamlDocuments(SECRET_TEMPLATE);
  const main = secrets.find((s) => s.metadata.name === "sis-sync-secrets");

  it("is a valid Secret with every secret the service needs, and only settings it reads", () => {
    for (const s of secrets) expect(() => validateSchema(s)).not.toThrow();
    expect(Object.keys(main.stringData).sort()).toEqual(["AUTH_JWT_SECRET", "CONFIG_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"]);
    for (const k of Object.keys(main.stringData)) expect(ENV_KEYS.has(k)).toBe(true);
  });

  it("holds placeholders only (REPLACE_ME, .invalid hosts), never real values", () => {
    for (const s of secrets) {
      expect(s.data).toBeUndefined();
      for (const [k, v] of Object.entries<string>(s.stringData)) {
        expect(`${k}=${v}`).toMatch(/REPLACE_ME|\.invalid[:/]/);
        // Nothing that looks like a real key: no long base64 or hex runs.
        expect(v).not.toMatch(/[A-Za-z0-9+/]{32,}={0,2}|[a-f0-9]{32,}/);
      }
    }
  });
});
