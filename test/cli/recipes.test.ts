/**
 * The sliced-run recipes are valid for the schedulers that run them: the Indexed Job against
 * Kubernetes' OpenAPI schema (kubernetes-models' validators, generated from it), the workflow
 * against GitHub's workflow schema (action-validator). Running them is test/nodes/slices.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { validateWorkflow } from '@action-validator/core';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { githubWorkflow, renderGithubWorkflow, renderK8sJob, type RecipeOptions } from '../../src/cli/recipes.ts';

const options: RecipeOptions = {
  playbook: 'playbooks/site.ts', inventory: 'inventory/prod hosts.yml', slices: 4, name: 'capstan-prod', check: false,
  image: 'registry.example/ops:1.4', workdir: '/project', mountDir: '/capstan',
};

describe('capstan recipe k8s-job: a Kubernetes Indexed Job', () => {
  const text = renderK8sJob(options);
  const job = parse(text) as IJob;

  it('is a valid batch/v1 Job by the Kubernetes OpenAPI schema', () => {
    assert.doesNotThrow(() => new Job(job).validate());
    const broken = structuredClone(job) as unknown as { spec: { completionMode: string } };
    broken.spec.completionMode = 'Indexd';
    assert.throws(() => new Job(broken as unknown as IJob).validate(), /completionMode must be equal to one of the allowed values/, 'the validator does check');
  });

  it('runs N pods side by side, each its own slice from JOB_COMPLETION_INDEX, never retried', () => {
    assert.equal(job.spec?.completionMode, 'Indexed');
    assert.equal(job.spec?.completions, 4);
    assert.equal(job.spec?.parallelism, 4);
    assert.equal(job.spec?.backoffLimit, 0);
    const c = job.spec?.template.spec?.containers[0];
    assert.deepEqual(c?.command?.slice(0, 2), ['sh', '-c']);
    assert.match(c?.command?.[2] ?? '', /--slice "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/4" --json$/);
    assert.match(c?.command?.[2] ?? '', / -i \/capstan\/inventory\/inventory\.yml /, 'the inventory from the Secret');
  });

  it('takes the inventory, SSH key and known_hosts from one Secret, read-only, the key not world-readable', () => {
    const volumes = job.spec?.template.spec?.volumes ?? [];
    const secrets = volumes.filter((v) => v.secret).map((v) => v.secret!);
    assert.ok(secrets.every((s) => s.secretName === 'capstan-prod'));
    assert.deepEqual(secrets.flatMap((s) => s.items?.map((i) => i.key) ?? []).sort(), ['id_ed25519', 'inventory.yml', 'known_hosts']);
    assert.equal(secrets.find((s) => s.items?.some((i) => i.key === 'id_ed25519'))?.defaultMode, 0o400);
    const mounts = job.spec?.template.spec?.containers[0]?.volumeMounts ?? [];
    assert.ok(mounts.filter((m) => m.name !== 'home').every((m) => m.readOnly));
  });

  it('says how to create the Secret and collect each slice\'s events for recap merge', () => {
    assert.match(text, /kubectl create secret generic capstan-prod --from-file=inventory\.yml=inventory\/prod hosts\.yml/);
    assert.match(text, /batch\.kubernetes\.io\/job-completion-index=\$i --tail=-1 > slice-\$i\.ndjson/);
    assert.match(text, /capstan recap merge slice-\*\.ndjson/);
  });
});

describe('capstan recipe github-actions: a matrix workflow', () => {
  it('is a valid workflow by GitHub\'s workflow schema', () => {
    const state = validateWorkflow(renderGithubWorkflow(options));
    assert.deepEqual(state.errors, []);
    const broken = renderGithubWorkflow(options).replace(/runs-on/g, 'runs_on');
    assert.notDeepEqual(validateWorkflow(broken).errors, [], 'the validator does check');
  });

  it('one matrix job per slice, events kept even when a slice fails, then one merged recap', () => {
    const wf = githubWorkflow(options) as { jobs: Record<string, { strategy?: { matrix: { slice: number[] }; 'fail-fast': boolean }; needs?: string; if?: string; steps: { run?: string; if?: string; uses?: string }[] }> };
    assert.deepEqual(wf.jobs.slice?.strategy?.matrix.slice, [1, 2, 3, 4]);
    assert.equal(wf.jobs.slice?.strategy?.['fail-fast'], false);
    const run = wf.jobs.slice?.steps.find((s) => s.run?.includes('capstan run'))?.run ?? '';
    assert.match(run, /-i 'inventory\/prod hosts\.yml' --slice "\$\{\{ matrix\.slice \}\}\/4" --json > "slice-\$\{\{ matrix\.slice \}\}\.ndjson"/);
    assert.equal(wf.jobs.slice?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.if, 'always()');
    assert.equal(wf.jobs.recap?.needs, 'slice');
    assert.equal(wf.jobs.recap?.if, 'always()');
    assert.match(wf.jobs.recap?.steps.at(-1)?.run ?? '', /capstan recap merge slice-\*\.ndjson/);
  });
});
