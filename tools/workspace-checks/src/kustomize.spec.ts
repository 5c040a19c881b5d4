/** The in-test kustomize subset builds what kustomize would, and refuses what it does not know. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { kustomizeBuild, mergePatch } from './deploy/kustomize';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: example/web:1.0
          env: [{ name: A, value: "1" }, { name: B, value: "2" }]
        - name: sidecar
          image: example/sidecar:1.0
`;

describe('the in-test kustomize subset', () => {
  let root: string;
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
    write('base/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n');
    write('base/deployment.yaml', DEPLOYMENT);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('merges containers and env by name under a strategic merge patch, and sets namespace, replicas and images', () => {
    write(
      'overlay/kustomization.yaml',
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'namespace: prod',
        'resources: [../base]',
        'replicas: [{ name: web, count: 5 }]',
        'images: [{ name: example/web, newName: registry.example/web, newTag: "2.0" }]',
        'patches: [{ path: patch.yaml }]',
      ].join('\n'),
    );
    write(
      'overlay/patch.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          env: [{ name: B, value: "3" }, { name: C, value: "4" }]\n',
    );
    const [deployment] = kustomizeBuild(path.join(root, 'overlay')) as unknown as Array<{
      metadata: { namespace: string };
      spec: { replicas: number; template: { spec: { containers: Array<{ name: string; image: string; env?: unknown[] }> } } };
    }>;
    expect(deployment!.metadata.namespace).toBe('prod');
    expect(deployment!.spec.replicas).toBe(5);
    const [web, sidecar] = deployment!.spec.template.spec.containers;
    expect(web).toEqual({
      name: 'web',
      image: 'registry.example/web:2.0',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '3' },
        { name: 'C', value: '4' },
      ],
    });
    expect(sidecar).toEqual({ name: 'sidecar', image: 'example/sidecar:1.0' });
  });

  it('replaces lists and deletes nulls under a JSON merge patch (custom resources)', () => {
    expect(mergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { d: null } }, false)).toEqual({ a: [3], b: { c: 1 } });
  });

  it('refuses fields it does not implement, patches that match nothing, and duplicate objects', () => {
    write(
      'base/kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\ncommonLabels: { a: b }\n',
    );
    expect(() => kustomizeBuild(path.join(root, 'base'))).toThrow(/commonLabels/);
    write(
      'base/kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\npatches: [{ path: patch.yaml }]\n',
    );
    write('base/patch.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: other }\nspec: { replicas: 1 }\n');
    expect(() => kustomizeBuild(path.join(root, 'base'))).toThrow(/matches no resource/);
    write(
      'base/kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml, deployment.yaml]\n',
    );
    expect(() => kustomizeBuild(path.join(root, 'base'))).toThrow(/defined twice/);
  });
});
