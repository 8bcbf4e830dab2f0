// Scaling out (HorizontalPodAutoscalers, worker Deployments) and who may reach whom
// (NetworkPolicies), checked on both overlays as this folder's own renderer reads them and,
// when `kubectl` is on the PATH, as the real kustomize renders them (patches, hashed
// ConfigMap names, namespaces). A name, label, port or metric that does not exist fails
// here, not in a cluster.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { kubectlAvailable, kubectlRender } from './support/kubectl';
import {
  containerEnvironment,
  k8sRoot,
  podSpecOf,
  probePort,
  render,
  type Container,
  type Manifest,
  type Rendered,
} from './support/kustomize';
import {
  BROWSER_URLS,
  checkEnvironment,
  declares,
  readPackageJson,
  repoRoot,
  settingOf,
  workspaceOfName,
} from './support/services';

/** A render's objects with its ConfigMaps and Secrets by (possibly hashed) name. */
function fromManifests(manifests: Manifest[]): Rendered {
  const rendered: Rendered = { manifests, configMaps: new Map(), secrets: new Map() };
  for (const m of manifests) {
    if (m.kind === 'ConfigMap') rendered.configMaps.set(m.metadata.name, { ...m.data });
    if (m.kind === 'Secret') {
      const data = Object.entries(m.data ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]);
      rendered.secrets.set(m.metadata.name, { ...Object.fromEntries(data), ...m.stringData });
    }
  }
  return rendered;
}

const OVERLAYS = ['overlays/dev', 'overlays/prod'];
const renders: [string, Rendered][] = OVERLAYS.map((overlay) => [
  `${overlay} (deploy/test's renderer)`,
  render(path.join(k8sRoot, overlay)),
]);
if (kubectlAvailable()) {
  const real = kubectlRender(OVERLAYS);
  for (const overlay of OVERLAYS) {
    renders.push([`${overlay} (kubectl kustomize)`, fromManifests(real[overlay]!)]);
  }
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface PolicyPort {
  port?: string | number;
  protocol?: string;
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
}
interface HpaSpec {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
  metrics?: {
    type: string;
    resource?: { name: string; target: { type: string; averageUtilization?: number } };
  }[];
}

function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    if (operator === 'In') return values!.includes(labels[key]!);
    if (operator === 'NotIn') return !values!.includes(labels[key]!);
    if (operator === 'Exists') return key in labels;
    if (operator === 'DoesNotExist') return !(key in labels);
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabel && byExpression;
}

const ofKind = (rendered: Rendered, kind: string) =>
  rendered.manifests.filter((m) => m.kind === kind);
const podLabels = (deployment: Manifest): Record<string, string> =>
  (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template
    .metadata.labels;
const isWorker = (deployment: Manifest) =>
  podLabels(deployment)['app.kubernetes.io/component'] === 'worker';
/** `orders-worker` → subgraphs/orders; an API Deployment → its own workspace. */
const workspaceOf = (deployment: Manifest) =>
  workspaceOfName(deployment.metadata.name.replace(/-worker$/, ''));
const firstContainer = (deployment: Manifest): Container => podSpecOf(deployment).containers[0]!;

/** Whether a container listens on a port a policy names (by name or by number). */
const listensOn = (container: Container, port: string | number) =>
  (container.ports ?? []).some((p) =>
    typeof port === 'number' ? p.containerPort === port : p.name === port,
  );

describe.each(renders)('%s', (_where, rendered) => {
  const deployments = ofKind(rendered, 'Deployment');
  const policies = ofKind(rendered, 'NetworkPolicy').map(
    (p) => [p.metadata.name, p.spec as unknown as PolicySpec] as const,
  );
  const hpas = ofKind(rendered, 'HorizontalPodAutoscaler').map(
    (h) => [h.metadata.name, h.apiVersion, h.spec as unknown as HpaSpec] as const,
  );
  const deploymentNamed = (name: string) => deployments.find((d) => d.metadata.name === name);
  const environmentOf = (deployment: Manifest) =>
    containerEnvironment(firstContainer(deployment), rendered);
  const prod = _where.startsWith('overlays/prod');

  describe('HorizontalPodAutoscalers', () => {
    it('are autoscaling/v2 and each scales a Deployment of this render', () => {
      for (const [name, apiVersion, spec] of hpas) {
        const target = spec.scaleTargetRef;
        expect({ name, apiVersion, kind: target.kind, targetApi: target.apiVersion }).toEqual({
          name,
          apiVersion: 'autoscaling/v2',
          kind: 'Deployment',
          targetApi: 'apps/v1',
        });
        expect({ name, exists: deploymentNamed(target.name) !== undefined }).toEqual({
          name,
          exists: true,
        });
      }
    });

    it('scale on CPU or memory utilization, which every container of the target requests', () => {
      for (const [name, , spec] of hpas) {
        expect(spec.metrics?.length).toBeGreaterThan(0);
        const containers = podSpecOf(deploymentNamed(spec.scaleTargetRef.name)!).containers;
        for (const metric of spec.metrics ?? []) {
          const resource = metric.resource?.name;
          expect({
            name,
            type: metric.type,
            resource: ['cpu', 'memory'].includes(resource!),
          }).toEqual({ name, type: 'Resource', resource: true });
          const utilization = metric.resource!.target.averageUtilization ?? 0;
          expect({
            name,
            resource,
            type: metric.resource!.target.type,
            sane: utilization > 0 && utilization <= 100,
          }).toEqual({
            name,
            resource,
            type: 'Utilization',
            sane: true,
          });
          // Utilization is a share of the request: without one the HPA reports no metric.
          for (const container of containers) {
            expect({
              name,
              container: container.name,
              requests: container.resources?.requests?.[resource!] !== undefined,
            }).toEqual({
              name,
              container: container.name,
              requests: true,
            });
          }
        }
      }
    });

    it(
      prod
        ? 'cover every Deployment once, from its replica count (two at least) upwards'
        : 'are left to production (one replica each here)',
      () => {
        if (!prod) {
          expect(hpas).toEqual([]);
          return;
        }
        const targets = hpas.map(([, , spec]) => spec.scaleTargetRef.name).sort();
        expect(targets).toEqual(deployments.map((d) => d.metadata.name).sort());
        for (const [name, , spec] of hpas) {
          const replicas = (
            deploymentNamed(spec.scaleTargetRef.name)!.spec as { replicas?: number }
          ).replicas;
          expect({
            name,
            min: spec.minReplicas,
            max: spec.maxReplicas > spec.minReplicas!,
          }).toEqual({
            name,
            min: replicas,
            max: true,
          });
          expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
        }
      },
    );
  });

  describe('worker Deployments', () => {
    const workers = deployments.filter(isWorker);

    it('exist for every service that has a worker entry point (src/worker.ts)', () => {
      const withEntry = deployments
        .filter((d) => !isWorker(d) && d.metadata.name !== 'router')
        .filter((d) => existsSync(path.join(repoRoot, workspaceOf(d), 'src/worker.ts')))
        .map((d) => `${d.metadata.name}-worker`);
      expect(workers.map((w) => w.metadata.name).sort()).toEqual(withEntry.sort());
    });

    it.each(workers.map((w) => [w.metadata.name, w] as const))(
      '%s runs `npm run worker` of its workspace, a tsx entry point that exists',
      (_name, worker) => {
        const workspace = workspaceOf(worker);
        const container = firstContainer(worker);
        expect([...(container.command ?? []), ...(container.args ?? [])]).toEqual([
          'npm',
          'run',
          'worker',
          '--workspace',
          workspace,
        ]);
        const script = readPackageJson(workspace).scripts?.worker ?? '';
        const start = readPackageJson(workspace).scripts?.start ?? '';
        // The same runner as the API's `start`: tsx, no compile step.
        expect(script.split(' ')[0]).toBe(start.split(' ')[0]);
        const entry = script.split(' ')[1]!;
        expect({ entry, exists: existsSync(path.join(repoRoot, workspace, entry)) }).toEqual({
          entry,
          exists: true,
        });
      },
    );

    it.each(workers.map((w) => [w.metadata.name, w] as const))(
      "%s has its API's image and configuration, and the API leaves the jobs to it",
      (name, worker) => {
        const api = deploymentNamed(name.replace(/-worker$/, ''))!;
        expect(firstContainer(worker).image).toBe(firstContainer(api).image);
        expect(firstContainer(worker).envFrom).toEqual(firstContainer(api).envFrom);
        const workspace = workspaceOf(worker);
        expect(checkEnvironment(workspace, environmentOf(worker)).problems).toEqual([]);
        expect(settingOf(workspace, environmentOf(api), 'WORKERS_ENABLED')).toBe(false);
        expect(settingOf(workspace, environmentOf(worker), 'WORKERS_ENABLED')).not.toBe(false);
      },
    );

    it.each(workers.map((w) => [w.metadata.name, w] as const))(
      '%s is probed on /healthz and /readyz at its WORKER_PORT, and no Service routes to it',
      (_name, worker) => {
        const container = firstContainer(worker);
        const port = Number(settingOf(workspaceOf(worker), environmentOf(worker), 'WORKER_PORT'));
        expect(
          container.ports?.filter((p) => p.name !== 'metrics').map((p) => p.containerPort),
        ).toEqual([port]);
        expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
        for (const probe of [
          container.livenessProbe,
          container.readinessProbe,
          container.startupProbe,
        ]) {
          if (probe) expect(probePort(container, probe)).toBe(port);
        }
        for (const service of ofKind(rendered, 'Service')) {
          const selector = (service.spec as { selector?: Record<string, string> }).selector ?? {};
          expect({
            service: service.metadata.name,
            selects: selects({ matchLabels: selector }, podLabels(worker)),
          }).toEqual({ service: service.metadata.name, selects: false });
        }
      },
    );

    it('no API runs without its workers unless a worker Deployment runs them', () => {
      for (const api of deployments.filter((d) => !isWorker(d))) {
        const workspace = workspaceOf(api);
        if (!declares(workspace, 'WORKERS_ENABLED')) continue;
        const off = settingOf(workspace, environmentOf(api), 'WORKERS_ENABLED') === false;
        const worker = deploymentNamed(`${api.metadata.name}-worker`);
        expect({ api: api.metadata.name, workersRun: !off || worker !== undefined }).toEqual({
          api: api.metadata.name,
          workersRun: true,
        });
      }
    });
  });

  describe('NetworkPolicies', () => {
    /** The pods a selector picks, by Deployment name. */
    const selected = (selector: LabelSelector) =>
      deployments.filter((d) => selects(selector, podLabels(d))).map((d) => d.metadata.name);

    it('refuse every connection into every pod unless another policy lets it in', () => {
      const denyAll = policies.filter(
        ([, spec]) =>
          Object.keys(spec.podSelector).length === 0 &&
          spec.policyTypes?.includes('Ingress') &&
          (spec.ingress ?? []).length === 0,
      );
      expect(denyAll).toHaveLength(1);
    });

    it('each select pods that exist, and name only labels of existing pods', () => {
      const labelValues = new Set(deployments.flatMap((d) => Object.values(podLabels(d))));
      for (const [name, spec] of policies) {
        if (Object.keys(spec.podSelector).length > 0) {
          expect({ name, selects: selected(spec.podSelector).length > 0 }).toEqual({
            name,
            selects: true,
          });
        }
        for (const peer of (spec.ingress ?? []).flatMap((rule) => rule.from ?? [])) {
          if (!peer.podSelector) continue;
          expect({ name, peerSelects: selected(peer.podSelector).length > 0 }).toEqual({
            name,
            peerSelects: true,
          });
          // An `In` list with one misspelt name among good ones still selects pods.
          for (const value of (peer.podSelector.matchExpressions ?? []).flatMap(
            (e) => e.values ?? [],
          )) {
            expect({ name, value, exists: labelValues.has(value) }).toEqual({
              name,
              value,
              exists: true,
            });
          }
        }
      }
    });

    it('open only ports that the pods they select listen on', () => {
      for (const [name, spec] of policies) {
        const pods = deployments.filter((d) => selects(spec.podSelector, podLabels(d)));
        for (const { port } of (spec.ingress ?? []).flatMap((rule) => rule.ports ?? [])) {
          expect(port).toBeDefined();
          for (const pod of pods) {
            expect({
              name,
              pod: pod.metadata.name,
              port,
              listens: listensOn(firstContainer(pod), port!),
            }).toEqual({
              name,
              pod: pod.metadata.name,
              port,
              listens: true,
            });
          }
        }
      }
    });

    /** Who may open a connection to a Deployment's pods on a port: names, or 'anyone'. */
    function allowedInto(target: Manifest, port: number): string[] | 'anyone' {
      const container = firstContainer(target);
      const portName = container.ports?.find((p) => p.containerPort === port)?.name;
      const callers = new Set<string>();
      for (const [, spec] of policies) {
        if (!selects(spec.podSelector, podLabels(target))) continue;
        for (const rule of spec.ingress ?? []) {
          const ports = rule.ports ?? [];
          const covers =
            ports.length === 0 || ports.some((p) => p.port === port || p.port === portName);
          if (!covers) continue;
          if (!rule.from || rule.from.length === 0) return 'anyone';
          for (const peer of rule.from) {
            if (peer.podSelector && !peer.namespaceSelector) {
              selected(peer.podSelector).forEach((n) => callers.add(n));
            } else if (peer.namespaceSelector && !peer.podSelector) {
              // Every pod of another namespace, named by it (`namespace:monitoring`).
              const names = Object.values(peer.namespaceSelector.matchLabels ?? {});
              callers.add(`namespace:${names.join(',') || '*'}`);
            }
          }
        }
      }
      return [...callers].sort();
    }

    /** The Deployments whose settings name a Service on a port (its *_URL variables). */
    function callersOf(service: string, port: number): string[] {
      return deployments
        .filter((caller) =>
          Object.entries(environmentOf(caller)).some(([variable, value]) => {
            if (!variable.endsWith('_URL') || value === '' || BROWSER_URLS.has(variable))
              return false;
            const url = new URL(value);
            return url.hostname === service && Number(url.port || 80) === port;
          }),
        )
        .map((d) => d.metadata.name)
        .sort();
    }

    it("let into each subgraph's port exactly the pods whose settings call it; the router's is open", () => {
      for (const service of ofKind(rendered, 'Service')) {
        const spec = service.spec as {
          selector: Record<string, string>;
          ports: { port: number; targetPort?: string | number }[];
        };
        const target = deployments.find((d) =>
          selects({ matchLabels: spec.selector }, podLabels(d)),
        )!;
        for (const { port } of spec.ports) {
          const allowed = allowedInto(target, port);
          const expected =
            service.metadata.name === 'router' ? 'anyone' : callersOf(service.metadata.name, port);
          expect({ service: service.metadata.name, port, allowed }).toEqual({
            service: service.metadata.name,
            port,
            allowed: expected,
          });
        }
      }
    });

    it('let into a worker pod nothing but Prometheus on its metrics port (probes come from the kubelet)', () => {
      for (const worker of deployments.filter(isWorker)) {
        for (const { name, containerPort } of firstContainer(worker).ports ?? []) {
          expect({
            worker: worker.metadata.name,
            port: name,
            allowed: allowedInto(worker, containerPort),
          }).toEqual({
            worker: worker.metadata.name,
            port: name,
            allowed: name === 'metrics' ? ['namespace:monitoring'] : [],
          });
        }
      }
    });

    it('let only the monitoring namespace reach a metrics port, and it nothing else', () => {
      const monitoring = (peer: PolicyPeer) =>
        peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring';
      for (const [name, spec] of policies) {
        for (const rule of spec.ingress ?? []) {
          const peers = rule.from ?? [];
          const metrics = (rule.ports ?? []).some((p) => p.port === 'metrics');
          if (metrics) {
            expect({ name, onlyMonitoring: peers.length > 0 && peers.every(monitoring) }).toEqual({
              name,
              onlyMonitoring: true,
            });
          }
          if (peers.some(monitoring)) {
            expect({
              name,
              metricsOnly: (rule.ports ?? []).every((p) => p.port === 'metrics'),
            }).toEqual({
              name,
              metricsOnly: true,
            });
          }
        }
      }
      // Every pod's metrics port is reachable by the monitoring namespace alone (else
      // scraping fails, or something else could read it).
      for (const d of deployments) {
        const metricsPort = firstContainer(d).ports?.find((p) => p.name === 'metrics');
        if (!metricsPort) continue;
        expect({
          pod: d.metadata.name,
          allowed: allowedInto(d, metricsPort.containerPort),
        }).toEqual({
          pod: d.metadata.name,
          allowed: ['namespace:monitoring'],
        });
      }
    });
  });

  describe('metrics', () => {
    it('every pod serves GET /metrics on its METRICS_PORT, a port named metrics that its prometheus.io annotations name', () => {
      for (const d of deployments) {
        const container = firstContainer(d);
        const port = Number(settingOf(workspaceOf(d), environmentOf(d), 'METRICS_PORT'));
        expect(settingOf(workspaceOf(d), environmentOf(d), 'METRICS_ENABLED')).toBe(true);
        const named = container.ports?.find((p) => p.name === 'metrics');
        expect({ pod: d.metadata.name, metricsPort: named?.containerPort }).toEqual({
          pod: d.metadata.name,
          metricsPort: port,
        });
        const annotations = (
          d.spec as { template: { metadata: { annotations?: Record<string, string> } } }
        ).template.metadata.annotations;
        expect({ pod: d.metadata.name, annotations }).toEqual({
          pod: d.metadata.name,
          annotations: expect.objectContaining({
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(port),
            'prometheus.io/path': '/metrics',
          }),
        });
        // Its own port is another: the public (or probe) port never serves /metrics.
        const own = isWorker(d) ? 'WORKER_PORT' : undefined;
        if (own) expect(Number(settingOf(workspaceOf(d), environmentOf(d), own))).not.toBe(port);
      }
    });

    it('no Service and no Ingress forwards a metrics port', () => {
      const metricsPorts = new Set(
        deployments.flatMap((d) =>
          (firstContainer(d).ports ?? [])
            .filter((p) => p.name === 'metrics')
            .map((p) => p.containerPort),
        ),
      );
      for (const service of ofKind(rendered, 'Service')) {
        for (const p of (
          service.spec as { ports: { port: number; targetPort?: string | number }[] }
        ).ports) {
          expect({
            service: service.metadata.name,
            port: p.port,
            target: p.targetPort,
          }).not.toEqual(expect.objectContaining({ target: 'metrics' }));
          expect(metricsPorts.has(p.port) || metricsPorts.has(Number(p.targetPort))).toBe(false);
        }
      }
      for (const ingress of ofKind(rendered, 'Ingress')) {
        expect(JSON.stringify(ingress.spec)).not.toMatch(/"metrics"|9464|\/metrics/);
      }
    });
  });
});

it('renders with kubectl kustomize when kubectl is installed', () => {
  expect(renders.length).toBe(kubectlAvailable() ? 4 : 2);
});
