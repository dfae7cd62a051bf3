/**
 * A small, strict Kustomize renderer for the tests (no kubectl/kustomize binary in CI): the
 * fields our kustomizations use — resources (files and directories), namespace, labels,
 * images and patches (strategic-merge files) — rendered the way `kustomize build` does.
 * A kustomization using anything else fails the test, so the renderer cannot silently drift
 * from what the manifests need.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
}

const SUPPORTED_FIELDS = new Set(["apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"]);
/** Cluster-scoped kinds keep no namespace. */
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ClusterTriggerAuthentication", "PriorityClass", "StorageClass"]);
/** Kinds without a strategic-merge schema: kustomize falls back to a JSON merge patch (lists replaced). */
const BUILTIN_GROUPS = /^(v1|apps\/v1|batch\/v1|policy\/v1|networking\.k8s\.io\/v1|autoscaling\/v2|rbac\.authorization\.k8s\.io\/v1)$/;

/** Every YAML document of a file (empty documents skipped); a YAML error throws. */
export function readYamlDocuments(file: string): any[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  return docs.flatMap((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    const v = d.toJS();
    return v == null ? [] : [v];
  });
}

/** The files a kustomization reads (itself, its resources, patches), recursively. */
export function kustomizationFiles(dir: string): string[] {
  const file = join(dir, "kustomization.yaml");
  const k = readYamlDocuments(file)[0];
  const files = [file];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (existsSync(p) && statSync(p).isDirectory()) files.push(...kustomizationFiles(p));
    else files.push(p);
  }
  for (const p of k.patches ?? []) if (p.path) files.push(resolve(dir, p.path));
  return files;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Merge key of a list in the core/apps schemas (the ones our patches touch). */
function mergeKey(field: string, items: any[]): string | undefined {
  if (field === "volumeMounts") return "mountPath";
  if (["containers", "initContainers", "env", "volumes", "imagePullSecrets"].includes(field)) return "name";
  if (field === "ports" && items.every((i) => isObject(i) && "name" in i)) return "name";
  return undefined;
}

/** Strategic merge patch (builtin kinds) or JSON merge patch (custom resources). */
export function mergePatch(target: any, patch: any, strategic: boolean): any {
  if (!isObject(target) || !isObject(patch)) return structuredClone(patch);
  const out: Record<string, any> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && Array.isArray(out[key]) && strategic && mergeKey(key, [...out[key], ...value])) {
      const k = mergeKey(key, [...out[key], ...value])!;
      const merged: any[] = out[key].map((x: any) => structuredClone(x));
      for (const item of value) {
        const i = merged.findIndex((m) => m[k] === item[k]);
        if (i >= 0) merged[i] = mergePatch(merged[i], item, true);
        else merged.push(structuredClone(item));
      }
      out[key] = merged;
    } else if (isObject(value) && isObject(out[key])) {
      out[key] = mergePatch(out[key], value, strategic);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

/** Pod specs of an object (Deployment, Job, ...), for image replacement and checks. */
export function podSpecsOf(obj: K8sObject): any[] {
  const specs = [obj.spec?.template?.spec, obj.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean);
  return obj.kind === "Pod" ? [obj.spec] : specs;
}

function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [rest, digest] = image.split("@");
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

/** Renders `dir/kustomization.yaml` like `kustomize build dir` (for the supported fields). */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, "kustomization.yaml");
  if (!existsSync(file)) throw new Error(`${dir}: no kustomization.yaml`);
  const k = readYamlDocuments(file)[0];
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization") throw new Error(`${file}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
  const unsupported = Object.keys(k).filter((f) => !SUPPORTED_FIELDS.has(f));
  if (unsupported.length) throw new Error(`${file}: fields not supported by the test renderer: ${unsupported.join(", ")}`);

  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${file}: resource ${r} does not exist`);
    if (statSync(p).isDirectory()) objects.push(...renderKustomization(p));
    else objects.push(...readYamlDocuments(p));
  }
  const ids = new Set<string>();
  for (const o of objects) {
    if (!o?.apiVersion || !o?.kind || !o?.metadata?.name) throw new Error(`${file}: a resource lacks apiVersion, kind or metadata.name`);
    const id = `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
    if (ids.has(id)) throw new Error(`${file}: duplicate resource ${id}`);
    ids.add(id);
  }

  for (const p of k.patches ?? []) {
    if (!p.path || p.target || p.patch) throw new Error(`${file}: only file patches (patches: - path: ...) are supported`);
    const patchFile = resolve(dir, p.path);
    for (const patch of readYamlDocuments(patchFile)) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata?.name && o.apiVersion === patch.apiVersion);
      if (i < 0) throw new Error(`${patchFile}: no ${patch.apiVersion} ${patch.kind} named ${patch.metadata?.name} to patch`);
      objects[i] = mergePatch(objects[i], patch, BUILTIN_GROUPS.test(patch.apiVersion));
    }
  }

  for (const img of k.images ?? []) {
    let used = false;
    for (const o of objects)
      for (const spec of podSpecsOf(o))
        for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
          const cur = splitImage(c.image);
          if (cur.name !== img.name) continue;
          used = true;
          const name = img.newName ?? cur.name;
          c.image = img.digest ? `${name}@${img.digest}` : `${name}${img.newTag ?? cur.tag ? `:${img.newTag ?? cur.tag}` : ""}`;
        }
    if (!used) throw new Error(`${file}: images entry ${img.name} matches no container`);
  }

  for (const l of k.labels ?? []) {
    if (l.includeSelectors || l.includeTemplates) throw new Error(`${file}: labels with includeSelectors/includeTemplates are not supported by the test renderer`);
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...l.pairs };
  }

  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;

  return objects;
}

export const K8S_DIR = resolve(__dirname, "../k8s");
export const REPO_ROOT = resolve(__dirname, "../..");
export const relative = (p: string) => p.slice(REPO_ROOT.length + 1);
export { dirname };
