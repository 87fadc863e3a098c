/**
 * `capstan recipe`: prints a sliced run's manifest for a scheduler (recipes.ts).
 *
 *   capstan recipe k8s-job site.ts -i hosts.yml --slices 8 --image registry.example/ops:1.4 > capstan-job.yaml
 *   capstan recipe github-actions site.ts -i inventory/hosts.yml --slices 4 > .github/workflows/capstan.yml
 */
import { renderGithubWorkflow, renderK8sJob, type RecipeOptions } from './recipes.ts';
import { statSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { unreadable } from '../inventory/fs-errors.ts';
import { ExitCode } from '../events.ts';

/** A path the recipe names must be a file here, where the project is (the slices run from it). */
function mustBeFile(what: string, path: string): void {
  let ok = false;
  try {
    ok = statSync(path).isFile();
  } catch (e) {
    throw new ConfigError(`${what} ${unreadable(path, e)}: give its path from the project's directory, as the slices will run it`);
  }
  if (!ok) throw new ConfigError(`${what} ${path} is not a file: give the playbook or inventory file itself`);
}

export function recipeCommand(a: RecipeOptions & { kind: 'k8s-job' | 'github-actions' }, out: (s: string) => void): number {
  mustBeFile('playbook', a.playbook);
  mustBeFile('--inventory', a.inventory);
  if (a.kind === 'k8s-job' && !a.image) throw new ConfigError('--image is needed for k8s-job: the image holding your project (its package.json, node_modules and playbooks), such as registry.example/ops:1.4');
  out(a.kind === 'k8s-job' ? renderK8sJob(a) : renderGithubWorkflow(a));
  return ExitCode.ok;
}
