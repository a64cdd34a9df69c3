// The Kubernetes manifests, validated against the Kubernetes OpenAPI schemas (kubernetes-models:
// types, required fields, formats), then checked for what ties them together: the Service, HPA,
// PDB and Ingress find the Deployment, the probes hit serve's health routes on a declared port, the
// pod runs as the image's non-root user, the Secret's keys are the ones the Deployment reads.
// The OpenAPI schemas allow unknown fields, so the fields that matter are asserted by name.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
type Manifest = Record<string, any>;

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: { file: string; doc: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file, doc: d.toJS() as Manifest };
  }),
);
const find = (kind: string) => manifests.find((m) => m.doc.kind === kind)?.doc as Manifest;

function validate(doc: Manifest): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc as never).validate();
}

describe('deploy/kubernetes', () => {
  it('every manifest is valid against its Kubernetes schema', () => {
    expect(manifests.map((m) => `${m.file}: ${m.doc.kind}`).sort()).toEqual([
      'namespace.yaml: Namespace',
      'secret.yaml: Secret',
      'serve-deployment.yaml: Deployment',
      'serve-hpa.yaml: HorizontalPodAutoscaler',
      'serve-ingress.yaml: Ingress',
      'serve-pdb.yaml: PodDisruptionBudget',
      'serve-service.yaml: Service',
    ]);
    for (const { file, doc } of manifests) expect(() => validate(doc), file).not.toThrow();
  });

  it('the schema check does refuse a wrong manifest (the check can fail)', () => {
    const broken = structuredClone(find('Deployment'));
    broken.spec.replicas = 'two';
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8787';
    expect(() => validate(broken)).toThrow(/replicas must be integer/);
    const noSelector = structuredClone(find('PodDisruptionBudget'));
    noSelector.spec.minAvailable = [1];
    expect(() => validate(noSelector)).toThrow();
  });

  it('kustomization.yaml applies every manifest but the Secret, whose empty values must not overwrite real ones', () => {
    const kustomization = parseAllDocuments(
      readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'),
    )[0]?.toJS() as Manifest;
    expect(kustomization.namespace).toBe('shugai');
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'secret.yaml').sort());
    expect(kustomization.images).toEqual([
      { name: 'shugai', newName: 'registry.example.cn/shugai/shugai', newTag: '0.1.0' },
    ]);
  });

  it('the Deployment runs shugai serve as the image user, probed on /healthz and /readyz', () => {
    const deployment = find('Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'shugai-serve' });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(container.image).toBe('shugai');
    expect(container.args.slice(0, 5)).toEqual(['serve', '--db', '$(SHUGAI_DB)', '--listen', '0.0.0.0:8787']);
    expect(container.env.map((e: Manifest) => e.name)).toContain('SHUGAI_DB');
    // The same numeric user as deploy/docker/Dockerfile, non-root, read-only, no capabilities.
    const dockerfile = readFileSync(path.join(DIR, '../docker/Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`USER ${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    const port = container.ports[0];
    expect(port).toEqual({ name: 'http', containerPort: 8787, protocol: 'TCP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.periodSeconds).toBe(10);
    expect(container.readinessProbe.periodSeconds).toBe(5);
    expect(container.resources.requests.cpu).toBe('250m');
    // 0440 in YAML 1.1 (kubectl) is 288: written in decimal so every parser reads the same mode.
    expect(pod.volumes[0].secret.defaultMode).toBe(0o440);
  });

  it('the Service, HPA, PDB and Ingress all point at the Deployment and its port', () => {
    const deployment = find('Deployment');
    const labels = deployment.spec.template.metadata.labels;
    const service = find('Service');
    expect(labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8787, targetPort: 'http', protocol: 'TCP' }]);
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = find('PodDisruptionBudget');
    expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    // A drain may take replicas down to minAvailable, never below: fewer than the HPA's minimum.
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    const ingress = find('Ingress');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend).toEqual({ name: service.metadata.name, port: { name: 'http' } });
    expect(ingress.spec.tls[0].hosts).toEqual([ingress.spec.rules[0].host]);
  });

  it("the Secret holds the keys the Deployment reads, and nothing is a secret in the Deployment's text", () => {
    const secret = find('Secret');
    const deployment = find('Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const fromEnv = container.env
      .filter((e: Manifest) => e.valueFrom)
      .map((e: Manifest) => e.valueFrom.secretKeyRef);
    const fromFiles = deployment.spec.template.spec.volumes[0].secret.items.map((i: Manifest) => i.key);
    const read = [...fromEnv.map((r: Manifest) => r.key), ...fromFiles].sort();
    expect(read).toEqual(Object.keys(secret.stringData).sort());
    for (const ref of fromEnv) expect(ref.name).toBe(secret.metadata.name);
    expect(Object.values(secret.stringData)).toEqual(['', '']);
    expect(container.env.find((e: Manifest) => e.name === 'SHUGAI_DB').value).not.toMatch(/:[^@/]*@/);
  });
});
