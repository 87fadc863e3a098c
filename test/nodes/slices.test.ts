/**
 * A sliced run reports what one run reports. The reference workload runs on four throwaway
 * nodes and one host that does not answer: once unsliced, then in four slices as separate
 * processes started exactly as the rendered recipes start them (the Indexed Job's container
 * command, with JOB_COMPLETION_INDEX and the Secret's files where it mounts them; the workflow's
 * steps, with the matrix value put in as GitHub Actions does), merged with `capstan recap merge`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { githubWorkflow, k8sJob, INVENTORY_KEY, type RecipeOptions } from '../../src/cli/recipes.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import type { IJob } from 'kubernetes-models/batch/v1/Job';

const skip = await dockerSkipReason();
const root = new URL('../..', import.meta.url).pathname;
const playbook = join(root, 'bench/workload/site.ts');
const SLICES = 4;

/** Runs a command line in sh or bash as the scheduler would; stdout and stderr go to one log, as a pod's do. */
function runShell(shell: string[], script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell[0] as string, [...shell.slice(1), script], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log }));
  });
}

function recapOf(ndjson: string): Recap {
  const end = ndjson.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent).find((e) => e.type === 'run.end');
  assert.ok(end?.type === 'run.end', `no run.end in:\n${ndjson.slice(-2000)}`);
  return end.recap;
}

describe('--slice K/N and recap merge on throwaway nodes, through the rendered recipes', { skip }, () => {
  let set: NodeSet;
  let work: string;
  let project: string;
  let inventory: string;
  let whole: Recap;
  let wholeCode: number | null;

  before(async () => {
    set = await startNodes({ groups: { nodes: 4 } });
    work = set.workDir;
    // The inventory a team would put in the Secret: no key path, no known_hosts path (they come
    // from HOME/.ssh), and a fifth host that does not answer.
    const inv = parse(set.inventoryYaml({ user: 'root' })) as { all: { hosts: Record<string, Record<string, unknown>>; children: { nodes: { hosts: Record<string, null> } } } };
    for (const vars of Object.values(inv.all.hosts)) {
      delete vars.ansible_ssh_private_key_file;
      delete vars.capstan_known_hosts;
    }
    inv.all.hosts.ghost = { ansible_host: '127.0.0.1', ansible_port: 1, ansible_user: 'root' };
    inv.all.children.nodes.hosts.ghost = null;
    inventory = join(work, 'secret-inventory.yml');
    writeFileSync(inventory, stringify(inv, { nullStr: '' }), { mode: 0o600 });
    // A project that depends on capstan, as the image and the checkout hold it.
    project = join(work, 'project');
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name":"sliced-project","private":true,"type":"module"}\n');
    symlinkSync(root, join(project, 'node_modules', 'capstan'));
    symlinkSync(join(root, 'bin', 'capstan.js'), join(project, 'node_modules', '.bin', 'capstan'));
  });
  after(async () => set?.destroy());

  const homeWithKeys = (home: string) => {
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    copyFileSync(set.privateKeyPath, join(home, '.ssh', 'id_ed25519'));
    copyFileSync(set.knownHostsPath, join(home, '.ssh', 'known_hosts'));
  };

  it('unsliced: the check run on the five hosts, one unreachable (exit 4)', async () => {
    const home = join(work, 'home-unsliced');
    homeWithKeys(home);
    const r = await runShell(['sh', '-c'], `exec npx --no-install capstan run ${playbook} -i ${inventory} --check --json`, project, { HOME: home });
    whole = recapOf(r.log);
    wholeCode = r.code;
    assert.equal(wholeCode, 4, r.log.slice(-2000));
    assert.deepEqual(Object.keys(whole.hosts).sort(), ['ghost', 'nodes1', 'nodes2', 'nodes3', 'nodes4']);
    assert.equal(whole.hosts.ghost?.unreachable, 1);
  });

  it('as a Kubernetes Indexed Job: four pods, merged, report what the unsliced run reported', async () => {
    const mount = join(work, 'k8s-secret');
    const options: RecipeOptions = { playbook, inventory, slices: SLICES, name: 'capstan-slices', check: true, image: 'unused', workdir: project, mountDir: mount };
    const job = k8sJob(options) as unknown as IJob;
    const pod = job.spec!.template.spec!;
    const container = pod.containers[0]!;
    // The kubelet's part: the Secret's items where the volumes mount them, the env, the index.
    homeWithKeys(mount);
    mkdirSync(join(mount, 'inventory'));
    copyFileSync(inventory, join(mount, 'inventory', INVENTORY_KEY));
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
    assert.deepEqual(container.command?.slice(0, 2), ['sh', '-c']);
    const pods = await Promise.all(Array.from({ length: SLICES }, (_, i) =>
      runShell(['sh', '-c'], container.command![2]!, container.workingDir!, { ...env, JOB_COMPLETION_INDEX: String(i) })));
    pods.forEach((p, i) => writeFileSync(join(project, `k8s-slice-${i}.ndjson`), p.log));
    assert.deepEqual(pods.map((p) => p.code), [4, 0, 0, 0], 'the pod whose slice holds the host that does not answer fails, as its own run');
    const sliceHosts = pods.map((p) => Object.keys(recapOf(p.log).hosts).sort());
    assert.deepEqual(sliceHosts, [['ghost', 'nodes1'], ['nodes2'], ['nodes3'], ['nodes4']]);
    const merged = await runShell(['sh', '-c'], 'exec npx --no-install capstan recap merge k8s-slice-*.ndjson --json', project, {});
    assert.equal(merged.code, wholeCode, merged.log);
    const recap = recapOf(merged.log);
    assert.deepEqual(recap.hosts, whole.hosts);
    assert.equal(recap.exitCode, whole.exitCode);
    assert.deepEqual(Object.keys(recap.hosts), ['nodes1', 'nodes2', 'nodes3', 'nodes4', 'ghost'], 'in the order one run selects them');
  });

  it('as a GitHub Actions matrix: the workflow\'s own steps, merged, report what the unsliced run reported', async () => {
    const options: RecipeOptions = { playbook, inventory, slices: SLICES, name: 'capstan-slices', check: true, workdir: '', mountDir: '' };
    type Step = { name?: string; run?: string; env?: Record<string, string> };
    const wf = githubWorkflow(options) as { jobs: { slice: { steps: Step[]; strategy: { matrix: { slice: number[] } } }; recap: { steps: Step[] } } };
    const home = join(work, 'runner-home');
    mkdirSync(home);
    const secrets: Record<string, string> = { CAPSTAN_SSH_KEY: readFileSync(set.privateKeyPath, 'utf8').trim(), CAPSTAN_KNOWN_HOSTS: readFileSync(set.knownHostsPath, 'utf8').trim() };
    const expand = (text: string, slice?: number) => text
      .replace(/\$\{\{ secrets\.(\w+) \}\}/g, (_, k: string) => secrets[k] ?? '')
      .replace(/\$\{\{ matrix\.slice \}\}/g, String(slice));
    const bash = ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'];
    const runStep = (s: Step, slice?: number) => runShell(bash, expand(s.run!, slice), project, {
      HOME: home, ...Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, expand(v, slice)])),
    });
    const keyStep = wf.jobs.slice.steps.find((s) => s.name === 'SSH key and known hosts')!;
    const sliceStep = wf.jobs.slice.steps.find((s) => s.run?.includes('capstan run'))!;
    // One runner per matrix value: each writes the key, then runs its slice.
    const jobs = await Promise.all(wf.jobs.slice.strategy.matrix.slice.map(async (k) => {
      const key = await runStep(keyStep, k);
      assert.equal(key.code, 0, key.log);
      return runStep(sliceStep, k);
    }));
    assert.deepEqual(jobs.map((j) => j.code), [4, 0, 0, 0], jobs.map((j) => j.log.slice(-500)).join('\n'));
    const mergeStep = wf.jobs.recap.steps.at(-1)!;
    const merged = await runStep(mergeStep);
    assert.equal(merged.code, wholeCode, merged.log);
    assert.match(merged.log, /4 slices merged/);
    for (const [host, t] of Object.entries(whole.hosts)) {
      assert.match(merged.log, new RegExp(`^${host}\\s+: ok=${t.ok}\\s+changed=${t.changed}\\s+cannot-predict=${t.uncertain}\\s+unreachable=${t.unreachable}\\s+failed=${t.failed}\\s`, 'm'), `${host} in:\n${merged.log}`);
    }
  });
});
