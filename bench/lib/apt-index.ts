/**
 * The index files of a flat apt repository (`deb [trusted=yes] http://HOST:PORT ./`):
 * Packages.gz next to Packages, and a Release file listing both with their checksums.
 *
 *   const packages = readFileSync('Packages');           // written by dpkg-scanpackages
 *   const files = indexFiles(packages, new Date());       // [{ name: 'Packages', ... }, { name: 'Packages.gz', ... }, { name: 'Release', ... }]
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface IndexFile {
  name: string;
  content: Buffer;
}

function digest(algorithm: string, content: Buffer): string {
  return createHash(algorithm).update(content).digest('hex');
}

/** A Release file for a flat repository holding `files`. */
export function releaseText(files: IndexFile[], date: Date): string {
  const lines = [
    'Origin: capstan-bench',
    'Label: capstan-bench',
    'Suite: capstan-bench',
    'Codename: capstan-bench',
    `Date: ${date.toUTCString()}`,
    'Architectures: amd64 all',
    'Description: packages of the benchmark workload, served by the benchmark harness',
  ];
  for (const [field, algorithm] of [['MD5Sum', 'md5'], ['SHA256', 'sha256']] as const) {
    lines.push(`${field}:`);
    for (const f of files) lines.push(` ${digest(algorithm, f.content)} ${String(f.content.length).padStart(8)} ${f.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Packages, Packages.gz and Release for the output of dpkg-scanpackages. */
export function indexFiles(packages: Buffer, date: Date): IndexFile[] {
  const lists: IndexFile[] = [{ name: 'Packages', content: packages }, { name: 'Packages.gz', content: gzipSync(packages, { level: 9 }) }];
  return [...lists, { name: 'Release', content: Buffer.from(releaseText(lists, date)) }];
}

/** Package names and versions in a Packages file, e.g. ['curl 7.88.1-10+deb12u12', ...]. */
export function listPackages(packages: string): string[] {
  return packages.split(/\n\n+/).flatMap((stanza) => {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    return name && version ? [`${name} ${version}`] : [];
  }).sort();
}
