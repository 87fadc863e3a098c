/**
 * The human reporter: a header per play and step, a coloured line per host, diffs, per-step
 * timing, a live progress line on terminals, and the PLAY RECAP.
 *
 *   const r = new PrettyReporter({ write: (s) => process.stdout.write(s), colors: true, tty: true, verbose: 0 });
 *   engine.run(..., (e) => r.handle(e));
 */
import type { ReportedResult, RunEvent } from '../events.ts';
import { renderDiff } from './diff.ts';
import { palette, type Palette } from './palette.ts';
import { renderRecap } from './recap.ts';

export interface PrettyOptions {
  write: (text: string) => void;
  colors: boolean;
  /** Draw the live progress line (terminals only). */
  tty: boolean;
  verbose: number;
}

export class PrettyReporter {
  private readonly c: Palette;
  private progressShown = false;
  private check = false;

  constructor(private readonly o: PrettyOptions) {
    this.c = palette(o.colors);
  }

  handle(e: RunEvent): void {
    if (e.type !== 'progress') this.clearProgress();
    switch (e.type) {
      case 'run.start':
        this.check = e.check;
        return this.line(this.c.bold(`PLAYBOOK ${e.playbook}`) + this.c.dim(` · ${e.hosts.length} hosts · forks ${e.forks}${e.check ? ' · CHECK MODE (nothing will be changed)' : ''}${e.diff ? ' · diff' : ''}`));
      case 'play.start':
        return this.line(`\n${this.c.bold(`PLAY [${e.play}]`)}${e.batch.count > 1 ? this.c.dim(` batch ${e.batch.index}/${e.batch.count}`) : ''} ${this.c.dim(`${e.hosts.length} hosts`)}`);
      case 'step.start':
        return this.line(`\n${this.c.bold(`${e.handler ? 'HANDLER' : 'STEP'} [${e.step}]`)}`);
      case 'host.step':
        return this.hostStep(e);
      case 'host.unreachable':
        return this.line(this.c.red(`unreachable: [${e.host}] ${e.message}`));
      case 'host.locked':
        return this.line(this.c.yellow(`LOCKED: [${e.host}] ${e.message}`));
      case 'play.end':
        return;
      case 'progress':
        return this.progress(e.done, e.total, e.running.length, e.elapsedMs);
      case 'warning':
        return this.line(this.c.yellow(`warning: ${e.host ? `[${e.host}] ` : ''}${e.message}`));
      case 'run.end':
        return this.line(`\n${renderRecap(e.recap, this.c)}`);
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  private hostStep(e: Extract<RunEvent, { type: 'host.step' }>): void {
    const r = e.result;
    if (r.status === 'unreachable') return;
    const who = `[${e.host}${e.delegatedTo ? ` -> ${e.delegatedTo}` : ''}]`;
    const time = this.c.dim(` ${formatMs(r.durationMs)}`);
    this.line(`${this.statusWord(r)}: ${who}${this.detail(r)}${time}`);
    if (this.o.verbose > 0 || r.status === 'failed') for (const l of this.outputLines(r)) this.line(l);
    for (const d of e.diffs) {
      const text = renderDiff(d);
      if (text) this.line(text.split('\n').map((l) => this.colorDiff(l)).join('\n'));
    }
  }

  private statusWord(r: ReportedResult): string {
    switch (r.status) {
      case 'ok':
        return this.c.green('ok');
      case 'changed':
        if (this.check && r.uncertain) return this.c.magenta('cannot predict');
        return this.c.yellow(this.check ? 'would change' : 'changed');
      case 'failed':
        return r.ignored ? this.c.cyan('failed (ignored)') : this.c.red('FAILED');
      case 'skipped':
        return r.uncertain ? this.c.magenta('cannot predict') : this.c.cyan('skipping');
      case 'unreachable':
        return this.c.red('UNREACHABLE');
    }
  }

  private detail(r: ReportedResult): string {
    if (r.status === 'failed') return ` ${r.msg ?? ''}`;
    if (r.status === 'changed') return ` ${r.summaries.join('; ')}${r.uncertain ? this.c.dim(` (${r.uncertain})`) : ''}`;
    if (r.status === 'skipped' && r.uncertain) return this.c.dim(` whether it runs: ${r.uncertain}`);
    if (this.o.verbose > 0 && r.reason) return this.c.dim(` ${r.reason}`);
    return '';
  }

  private outputLines(r: ReportedResult): string[] {
    const out: string[] = [];
    if (r.stdout?.trim()) out.push(this.c.dim(`  stdout: ${r.stdout.trimEnd().split('\n').join('\n          ')}`));
    if (r.stderr?.trim() && r.status !== 'failed') out.push(this.c.dim(`  stderr: ${r.stderr.trimEnd().split('\n').join('\n          ')}`));
    return out;
  }

  private colorDiff(l: string): string {
    if (l.startsWith('+') && !l.startsWith('+++')) return this.c.green(l);
    if (l.startsWith('-') && !l.startsWith('---')) return this.c.red(l);
    if (l.startsWith('@@')) return this.c.cyan(l);
    return l;
  }

  private progress(done: number, total: number, running: number, elapsedMs: number): void {
    if (!this.o.tty) return;
    this.o.write(`\r${this.c.dim(`… ${done}/${total} host-steps · ${running} hosts active · ${formatMs(elapsedMs)}`)}\u001b[K`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (this.progressShown) this.o.write('\r\u001b[K');
    this.progressShown = false;
  }

  private line(s: string): void {
    this.o.write(`${s}\n`);
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
