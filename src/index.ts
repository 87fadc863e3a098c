/**
 * Capstan's public API: everything a playbook, role or consumer project imports.
 *
 *   import { definePlaybook, defineRole, file, copy, shell, z } from 'capstan';
 */
export { z } from 'zod';

export { definePlaybook, isPlaybook, type Playbook, type PlayDefinition, type PlaybookDefinition, type Serial, type SerialFromVars } from './define/playbook.ts';
export { defineRole, roleFile, type Role, type RoleDefinition, type RoleUse, type RoleContext, type HandlerSpec, type VarAlias } from './define/role.ts';
export { defineModule, predict, predictUnknown, type ModuleDefinition, type ModuleFn, type Prediction } from './define/module.ts';
export { defineFact, type FactDefinition, type FactRef, type FactFn, type FactCombine } from './define/fact.ts';
export { change, changes, exec, fail, noop, put, fetchFrom, secretDiff, digestOf, type Action, type Change, type FileDiff, type FileDigest, type Plan, type PutSpec } from './define/plan.ts';
export { loop, flushHandlers, type Step, type ModuleStep, type LoopStep, type FlushStep, type StepContext, type StepOptions, type StepResult, type StepStatus } from './define/step.ts';
export { deferred, knownAfterApply, KnownAfterApply } from './define/deferred.ts';

export { Secret, redact } from './commands/secret.ts';
export { splitShellWords } from './inventory/shlex.ts';
export { nearest } from './inventory/suggest.ts';
export { quote, sh, raw, andThen } from './commands/quote.ts';
export { cmd, type Command } from './commands/command.ts';

export { file } from './modules/file.ts';
export { copy, predictHashed } from './modules/copy.ts';
export { command, shell, type CommandData } from './modules/command.ts';
export { template } from './modules/template.ts';
export { lineinfile } from './modules/lineinfile.ts';
export { blockinfile } from './modules/blockinfile.ts';
export { replace } from './modules/replace.ts';
export { apt, type AptArgs } from './modules/apt.ts';
export { aptKey, aptRepository } from './modules/apt-repository.ts';
export { systemd } from './modules/systemd.ts';
export { sysctl } from './modules/sysctl.ts';
export { kernelModule } from './modules/kernel-module.ts';
export { user } from './modules/user.ts';
export { group } from './modules/group.ts';
export { hostname } from './modules/hostname.ts';
export { getUrl, type GetUrlData } from './modules/get-url.ts';
export { unarchive } from './modules/unarchive.ts';
export { waitFor } from './modules/wait-for.ts';
export { reboot } from './modules/reboot.ts';
export { stat, type StatData } from './modules/stat.ts';
export { slurp, type SlurpData } from './modules/slurp.ts';
export { fetch, type FetchData } from './modules/fetch.ts';
export { remotePath, fileMode } from './modules/args.ts';

export { hostFacts, type HostFacts } from './facts/host.ts';
export { fileStat, fileSha256, pathExists, type FileStat, type HashedStat } from './facts/file.ts';
export { fileContent, type FileContent } from './facts/content.ts';
export { aptPackages, aptCache, type AptPackages, type AptCache, type PackageState } from './facts/apt.ts';
export { systemdUnit, type UnitState } from './facts/systemd.ts';
export { sysctlLive, sysctlFile, type SysctlFile } from './facts/sysctl.ts';
export { kernelModuleInfo, type KernelModuleState } from './facts/kernel.ts';
export { userInfo, groupInfo, type UserInfo, type GroupInfo } from './facts/users.ts';
export { portOpen, fileMatches, type PortState } from './facts/probe.ts';
export { networkAddresses, type InterfaceAddress } from './facts/network.ts';

export { runPlaybook, validatePlaybook, type EngineOptions } from './engine/run.ts';
export type { InventoryView, VarLayer } from './engine/inventory-view.ts';
export { defineInventory, type InventoryDefinition, type InventoryDefinitionInput } from './inventory/define.ts';
export type { Connector, ExecRequest, ExecResult, HostConnection, Become } from './connectors/connector.ts';
export { ExitCode, type Recap, type RunEvent, type HostTally, type ReportedResult } from './events.ts';
export { ConfigError, ConnectionError, CommandError, InternalError, CapstanError } from './errors.ts';
