/**
 * A HelmChart whose install Job failed (a chart that refuses the values, say) fails the wait
 * with the Job's own log, on the run that wrote the manifest and on any later run: the
 * reason is in the step's error, not behind another command. The fact reads the logs only when
 * some HelmChart has failed.
 *
 *   node --import tsx --test test/roles/helm-monitoring-job-log.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { helmReleasesDeployed, helmReleaseStatus, parseReleaseStatus } from '@capstan/helm-monitoring';
import type { Plan } from '../../src/index.ts';

const LOG = "Error: INSTALLATION FAILED: values don't meet the specifications of the schema(s) in the following chart(s):\nloki:\n- singleBinary.replicas: Invalid type. Expected: integer, given: string";
const chart = (name: string, failed: boolean) => ({
  metadata: { name }, spec: { version: '18.11.0' },
  status: { conditions: failed ? [{ type: 'Failed', status: 'True', message: 'Job has reached the specified backoff limit' }] : [{ type: 'JobCreated', status: 'True' }] },
});
const out = (logs: Record<string, string>) => `${JSON.stringify({ items: [chart('loki', true), chart('tempo', false)] })}\n---capstan-jobs---\n${JSON.stringify({ items: [] })}\n`
  + Object.entries(logs).map(([n, l]) => `---capstan-log-${n}---\n${l}\n`).join('');

function plan(args: unknown, facts: Record<string, unknown>): Plan {
  const def = helmReleasesDeployed.definition as unknown as { args: { parse(a: unknown): unknown }; plan(a: unknown, f: unknown): Plan };
  return def.plan(def.args.parse(args), facts);
}

describe('a failed HelmChart is reported with its install Job\'s log', () => {
  it('the log of a failed chart is read; a healthy chart\'s is not kept', () => {
    const [loki, tempo] = parseReleaseStatus(out({ loki: LOG, tempo: 'Release "tempo" has been upgraded.' }), ['loki', 'tempo']);
    assert.equal(loki?.log, LOG);
    assert.equal(tempo?.log, null);
  });

  it('the step fails with the log in its message', () => {
    const status = parseReleaseStatus(out({ loki: LOG }), ['loki', 'tempo']);
    const p = plan({ namespace: 'kube-system', releases: [{ name: 'loki', version: '18.11.0' }], timeoutS: 60 }, { status });
    assert.match(p.error ?? '', /HelmChart loki 18\.11\.0 failed: Job has reached the specified backoff limit; its install job log:\n.*\n- singleBinary\.replicas: Invalid type\. Expected: integer, given: string/s);
  });

  it('without a log, the message names the command that shows it', () => {
    const status = parseReleaseStatus(out({}), ['loki']);
    const p = plan({ namespace: 'kube-system', releases: [{ name: 'loki', version: '18.11.0' }], timeoutS: 60 }, { status });
    assert.match(p.error ?? '', /see `k3s kubectl -n kube-system logs job\/helm-install-loki`/);
  });

  it('the fact\'s command reads logs only when a HelmChart has failed, and is valid shell', () => {
    const script = String(helmReleaseStatus.definition.command({ namespace: 'kube-system', names: ['loki', 'tempo'] }));
    assert.match(script, /case "\$c" in \*'"Failed"'\*\) for n in \$names; do/);
    execFileSync('sh', ['-n', '-c', script]);
  });
});
