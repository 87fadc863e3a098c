/**
 * Colours, or none: `palette(true)` for a terminal, `palette(false)` for files and NO_COLOR.
 *
 *   const c = palette(process.stdout.isTTY && !process.env.NO_COLOR);
 *   c.green('ok')
 */
import pc from 'picocolors';

export interface Palette {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  magenta(s: string): string;
}

export function palette(enabled: boolean): Palette {
  const c = pc.createColors(enabled);
  return { green: c.green, yellow: c.yellow, red: c.red, cyan: c.cyan, dim: c.dim, bold: c.bold, magenta: c.magenta };
}
