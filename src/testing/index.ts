/**
 * Capstan's throwaway-node harness, for Capstan's own tests and for role authors: Debian
 * nodes with systemd and sshd in Docker, reachable by SSH with a key made for each set.
 *
 *   import { dockerSkipReason, startNodes } from 'capstan/testing';
 *
 *   const skip = await dockerSkipReason();        // a reason on a laptop without Docker; never under CI
 *   test('my role converges', { skip }, async () => {
 *     const set = await startNodes({ groups: { web: 2 } });
 *     try {
 *       const inventory = await set.writeInventory(join(set.workDir, 'inventory.yml'));
 *       // run Capstan against `inventory`, then assert with set.exec('web1', ['systemctl', 'is-active', 'nginx'])
 *     } finally {
 *       await set.destroy();
 *     }
 *   });
 */
export { startNodes, NodeSet, type StartNodesOptions, type TestNode } from './nodes.ts';
export { assertDockerAvailable, dockerAvailable, dockerSkipReason, dockerExec, type DockerAvailability, type ExecOptions, type ExecResult } from './docker.ts';
export { ensureNodeImage, nodeImageTag, NODE_IMAGE_REPO, type NodeImageOptions, type ImageSource } from './image.ts';
export { destroyAll, type DestroyAllOptions, type DestroyAllResult } from './cleanup.ts';
export { labUp, labDown, labInventoryPath, labStateDir, readLabState, type LabUpOptions, type LabState, type LabNodeState } from './lab.ts';
export { diffSnapshots, formatDiff, isEmptyDiff, DEFAULT_SNAPSHOT_EXCLUDES, type FsSnapshot, type FsDiff, type SnapshotOptions } from './snapshot.ts';
export { renderInventory, renderKnownHosts, type InventoryOptions } from './inventory.ts';
export { generateSshKeyPair, type SshKeyPair } from './keys.ts';
export { planNodes, type PlannedNode, type LayoutOptions } from './layout.ts';
export { LABEL_KIND, LABEL_LAB, LABEL_NODE, LABEL_WORKDIR } from './labels.ts';
export { runScenario, comparePredictions, ScenarioError, type ScenarioOptions, type ScenarioReport, type PhaseResult } from './scenario.ts';
