/**
 * Recipes that run a playbook in N slices (`--slice K/N`) on a scheduler users already have,
 * then merge the slices' event streams into one recap (`capstan recap merge`):
 *
 *   capstan recipe k8s-job site.ts -i hosts.yml --slices 8 --image registry.example/ops:1.4
 *   capstan recipe github-actions site.ts -i inventory/hosts.yml --slices 8 > .github/workflows/capstan.yml
 *
 * k8s-job: a Kubernetes Indexed Job; pod K runs slice JOB_COMPLETION_INDEX+1 from an image
 * that holds the project (its package.json, node_modules and playbooks). The inventory, the
 * SSH key and known_hosts come from a Secret of the same name, mounted read-only; each pod
 * writes its events on stdout, collected per completion index with `kubectl logs`.
 * github-actions: a workflow whose matrix job runs the slices (the key and known_hosts from
 * repository secrets), uploads each stream as an artifact, and a last job merges them; the
 * workflow fails when the merged exit code is not 0.
 * The comments atop each rendered file say what to create first and how to collect results.
 */
import { stringify } from 'yaml';
import { quote } from '../commands/quote.ts';
import type { IJob } from 'kubernetes-models/batch/v1/Job';

export interface RecipeOptions {
  playbook: string;
  /** Inventory path in the project (github-actions) or the Secret's key for it (k8s-job). */
  inventory: string;
  slices: number;
  /** Job and Secret name (k8s-job), workflow name (github-actions). */
  name: string;
  check: boolean;
  /** k8s-job: the image holding the project, and where the project is in it. */
  image?: string;
  workdir: string;
  /** k8s-job: where the Secret is mounted (HOME of the run; the key in HOME/.ssh). */
  mountDir: string;
}

/** The `capstan run` words every slice runs, with the slice number from `sliceExpr`. */
function runWords(o: RecipeOptions, inventory: string, sliceExpr: string): string {
  return `npx --no-install capstan run ${quote(o.playbook)} -i ${quote(inventory)} --slice "${sliceExpr}/${o.slices}" --json${o.check ? ' --check' : ''}`;
}

/** The Indexed Job, typed by Kubernetes' OpenAPI schema (kubernetes-models) where it is built. */
export function k8sJob(o: RecipeOptions): Record<string, unknown> {
  const labels = { 'app.kubernetes.io/name': 'capstan', 'app.kubernetes.io/instance': o.name };
  const home = o.mountDir;
  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.slices,
      parallelism: o.slices,
      // A slice that failed a host exits 2: run again deliberately, not by the Job's retries.
      backoffLimit: 0,
      ttlSecondsAfterFinished: 7 * 86_400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'capstan',
            image: o.image ?? '',
            workingDir: o.workdir,
            command: ['sh', '-c', `exec ${runWords(o, `${home}/inventory/${INVENTORY_KEY}`, '$((JOB_COMPLETION_INDEX + 1))')}`],
            env: [{ name: 'HOME', value: home }, { name: 'NO_COLOR', value: '1' }],
            volumeMounts: [
              { name: 'home', mountPath: home },
              { name: 'ssh', mountPath: `${home}/.ssh`, readOnly: true },
              { name: 'inventory', mountPath: `${home}/inventory`, readOnly: true },
            ],
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
          }],
          volumes: [
            { name: 'home', emptyDir: {} },
            { name: 'ssh', secret: { secretName: o.name, defaultMode: 0o400, items: [{ key: 'id_ed25519', path: 'id_ed25519' }, { key: 'known_hosts', path: 'known_hosts' }] } },
            { name: 'inventory', secret: { secretName: o.name, items: [{ key: INVENTORY_KEY, path: INVENTORY_KEY }] } },
          ],
        },
      },
    },
  };
  return { ...job };
}

/** The Secret's key holding the inventory file. */
export const INVENTORY_KEY = 'inventory.yml';

export function renderK8sJob(o: RecipeOptions): string {
  const sel = `batch.kubernetes.io/job-name=${o.name}`;
  const head = [
    `Capstan: ${o.playbook} in ${o.slices} slices as a Kubernetes Indexed Job (capstan recipe k8s-job).`,
    'First, the Secret (inventory, SSH key, known_hosts):',
    `  kubectl create secret generic ${o.name} --from-file=${INVENTORY_KEY}=${o.inventory} --from-file=id_ed25519=$HOME/.ssh/id_ed25519 --from-file=known_hosts=$HOME/.ssh/known_hosts`,
    'Then run it and wait:',
    `  kubectl apply -f THIS-FILE && kubectl wait --for=condition=complete --for=condition=failed job/${o.name} --timeout=2h`,
    'Collect each slice\'s events and merge them (exit code as one unsliced run):',
    `  for i in $(seq 0 ${o.slices - 1}); do kubectl logs -l ${sel},batch.kubernetes.io/job-completion-index=$i --tail=-1 > slice-$i.ndjson; done`,
    '  npx capstan recap merge slice-*.ndjson',
  ];
  return `${head.map((l) => `# ${l}`).join('\n')}\n${stringify(k8sJob(o), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The GitHub Actions workflow, as an object (checked against the workflow schema in the tests). */
export function githubWorkflow(o: RecipeOptions): Record<string, unknown> {
  const setup = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': 20, cache: 'npm' } },
    { run: 'npm ci' },
  ];
  return {
    name: o.name,
    on: { workflow_dispatch: {} },
    jobs: {
      slice: {
        'runs-on': 'ubuntu-latest',
        strategy: { 'fail-fast': false, matrix: { slice: Array.from({ length: o.slices }, (_, i) => i + 1) } },
        steps: [
          ...setup,
          {
            name: 'SSH key and known hosts',
            env: { SSH_KEY: '${{ secrets.CAPSTAN_SSH_KEY }}', KNOWN_HOSTS: '${{ secrets.CAPSTAN_KNOWN_HOSTS }}' },
            run: 'install -d -m 700 "$HOME/.ssh"\n(umask 077 && printf \'%s\\n\' "$SSH_KEY" > "$HOME/.ssh/id_ed25519")\nprintf \'%s\\n\' "$KNOWN_HOSTS" > "$HOME/.ssh/known_hosts"\n',
          },
          {
            name: `capstan slice \${{ matrix.slice }}/${o.slices}`,
            run: `${runWords(o, o.inventory, '${{ matrix.slice }}')} > "slice-\${{ matrix.slice }}.ndjson"\n`,
          },
          { name: 'keep the slice\'s events', if: 'always()', uses: 'actions/upload-artifact@v4', with: { name: 'capstan-slice-${{ matrix.slice }}', path: 'slice-${{ matrix.slice }}.ndjson' } },
        ],
      },
      recap: {
        needs: 'slice',
        if: 'always()',
        'runs-on': 'ubuntu-latest',
        steps: [
          ...setup,
          { uses: 'actions/download-artifact@v4', with: { pattern: 'capstan-slice-*', 'merge-multiple': true } },
          { name: 'one recap, one exit code', run: 'npx --no-install capstan recap merge slice-*.ndjson\n' },
        ],
      },
    },
  };
}

export function renderGithubWorkflow(o: RecipeOptions): string {
  const head = [
    `Capstan: ${o.playbook} in ${o.slices} slices as a GitHub Actions matrix (capstan recipe github-actions).`,
    'Repository secrets: CAPSTAN_SSH_KEY (the private key), CAPSTAN_KNOWN_HOSTS (the hosts\' keys, as in known_hosts).',
    'Run it from the Actions tab (workflow_dispatch); the recap job merges the slices and fails like one run would.',
  ];
  return `${head.map((l) => `# ${l}`).join('\n')}\n${stringify(githubWorkflow(o), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
