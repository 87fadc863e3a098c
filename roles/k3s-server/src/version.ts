/**
 * K3s version strings (`v1.32.11+k3s3`): parse and compare as the tuple
 * (major, minor, patch, rc, k3sN). SemVer ignores `+k3sN` for precedence; K3s releases do not.
 *
 *   compareK3sVersions('v1.32.11+k3s1', 'v1.32.11+k3s3')   // -1
 *   parseK3sVersion('v1.33.0-rc1+k3s1')                    // { major: 1, minor: 33, patch: 0, rc: 1, k3s: 1 }
 *   versionFromK3sOutput('k3s version v1.32.6+k3s1 (abc)\ngo version go1.23') // 'v1.32.6+k3s1'
 */
export const K3S_VERSION_PATTERN = /^v(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?\+k3s(\d+)$/;

export interface K3sVersion {
  major: number;
  minor: number;
  patch: number;
  /** Release-candidate number; undefined for a final release (which sorts after every rc). */
  rc?: number;
  k3s: number;
}

export function parseK3sVersion(text: string): K3sVersion {
  const m = K3S_VERSION_PATTERN.exec(text.trim());
  if (!m) throw new Error(`not a K3s version: ${JSON.stringify(text)} (expected e.g. v1.32.11+k3s3)`);
  const n = (i: number) => Number(m[i]);
  return { major: n(1), minor: n(2), patch: n(3), ...(m[4] !== undefined ? { rc: n(4) } : {}), k3s: n(5) };
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b`. */
export function compareK3sVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parseK3sVersion(a);
  const y = parseK3sVersion(b);
  const tuple = (v: K3sVersion) => [v.major, v.minor, v.patch, v.rc ?? Number.POSITIVE_INFINITY, v.k3s];
  const ta = tuple(x);
  const tb = tuple(y);
  for (let i = 0; i < ta.length; i++) {
    const [p, q] = [ta[i] ?? 0, tb[i] ?? 0];
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** Field 3 of the first line of `k3s --version`, or null when the output has none. */
export function versionFromK3sOutput(out: string): string | null {
  const first = out.split('\n')[0] ?? '';
  const field = first.trim().split(/\s+/)[2];
  return field && K3S_VERSION_PATTERN.test(field) ? field : null;
}

/** Why installing `desired` over `installed` is refused, or undefined when it is allowed. */
export function downgradeRefusal(installed: string | null, desired: string, allowDowngrade: boolean): string | undefined {
  if (!installed || allowDowngrade) return undefined;
  if (!K3S_VERSION_PATTERN.test(installed)) return undefined;
  if (compareK3sVersions(desired, installed) >= 0) return undefined;
  return `refusing to downgrade K3s from ${installed} to ${desired}; set allow_downgrade: true if this is intended`;
}
