/**
 * Capstan's public API: everything a playbook, role or consumer project imports.
 *
 *   import { definePlaybook, defineRole, file, copy, shell, z } from 'capstan';
 */
export { z } from 'zod';

export { definePlaybook, isPlaybook, type Playbook, type PlayDefinition, type PlaybookDefinition, type Serial } from './define/playbook.ts';
export { defineRole, roleFile, type Role, type RoleDefinition, type RoleUse, type RoleContext, type HandlerSpec } from './define/role.ts';
export { defineModule, predict, type ModuleDefinition, type ModuleFn, type Prediction } from './define/module.ts';
export { defineFact, type FactDefinition, type FactRef, type FactFn } from './define/fact.ts';
export { change, changes, exec, fail, noop, put, type Action, type Change, type FileDiff, type Plan, type PutSpec } from './define/plan.ts';
export { loop, flushHandlers, type Step, type StepContext, type StepOptions, type StepResult, type StepStatus } from './define/step.ts';
export { deferred, knownAfterApply, KnownAfterApply } from './define/deferred.ts';

export { Secret, redact } from './commands/secret.ts';
export { quote, sh, raw, andThen } from './commands/quote.ts';
export { cmd, type Command } from './commands/command.ts';

export { file } from './modules/file.ts';
export { copy } from './modules/copy.ts';
export { command, shell, type CommandData } from './modules/command.ts';

export { hostFacts, type HostFacts } from './facts/host.ts';
export { fileStat, pathExists, type FileStat } from './facts/file.ts';

export { runPlaybook, validatePlaybook, type EngineOptions } from './engine/run.ts';
export type { InventoryView, VarLayer } from './engine/inventory-view.ts';
export { defineInventory, type InventoryDefinition, type InventoryDefinitionInput } from './inventory/define.ts';
export type { Connector, ExecRequest, ExecResult, HostConnection, Become } from './connectors/connector.ts';
export { ExitCode, type Recap, type RunEvent, type HostTally, type ReportedResult } from './events.ts';
export { ConfigError, ConnectionError, CommandError, InternalError, CapstanError } from './errors.ts';
