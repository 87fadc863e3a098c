/**
 * The command line's bad inputs, as a table: each row is the words given, the exit code and a
 * part of the one-line message. Every flag of every command has a row (or a reason why it
 * accepts anything): the last test reads each command's --help and fails for a flag without one.
 *
 *   node --import tsx --test test/cli/bad-input.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

interface Row {
  /** What the row covers: `COMMAND --flag`, `COMMAND <positional>`, or `* --flag` for a global option. */
  covers: string;
  argv: string[];
  code: number;
  message: string | RegExp;
}

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capstan-badargs-'));
const inv = join(dir, 'hosts.ini');
const pb = join(root, 'test/fixtures/playbooks/two-plays-local.ts');
const sample = ['-e', `sample_root=${dir}/ws`];
const run = (...extra: string[]) => ['run', pb, '-i', inv, ...sample, ...extra];
const validate = (...extra: string[]) => ['validate', pb, '-i', inv, ...sample, ...extra];
const facts = (...extra: string[]) => ['facts', 'localhost', '-i', inv, ...extra];
const advise = (...extra: string[]) => ['advise', '-i', inv, ...extra];
const USAGE_RUN = 'usage: capstan run PLAYBOOK -i INVENTORY';

/** The rows shared by the commands that connect (run, facts, advise). */
const sshRows = (cmd: string, base: (...x: string[]) => string[]): Row[] => [
  { covers: `${cmd} --host-key-policy`, argv: base('--host-key-policy', 'trust-all'), code: 5, message: /host-key-policy, Given: "trust-all", Choices: "strict", "accept-new"/ },
  { covers: `${cmd} --known-hosts`, argv: base('--known-hosts', dir), code: 5, message: `--known-hosts ${dir}: it is a directory` },
  { covers: `${cmd} --known-hosts`, argv: base('--known-hosts'), code: 5, message: '--known-hosts needs a value' },
  { covers: `${cmd} --connect-timeout`, argv: base('--connect-timeout', 'abc'), code: 5, message: '--connect-timeout takes a number of seconds above 0 and up to 86400, got "abc"' },
  { covers: `${cmd} --connect-timeout`, argv: base('--connect-timeout', '-1'), code: 5, message: '--connect-timeout takes a number of seconds above 0 and up to 86400, got -1' },
  { covers: `${cmd} --connect-timeout`, argv: base('--connect-timeout', '0'), code: 5, message: '--connect-timeout takes a number of seconds above 0' },
  { covers: `${cmd} --ssh-max-channels`, argv: base('--ssh-max-channels', '1'), code: 5, message: '--ssh-max-channels takes a whole number from 2 to 100, got 1' },
  { covers: `${cmd} --ssh-max-channels`, argv: base('--ssh-max-channels', 'lots'), code: 5, message: 'got "lots"' },
];

/** The rows shared by the commands that read an inventory, which may hold vault-encrypted values. */
const vaultRows = (cmd: string, base: (...x: string[]) => string[]): Row[] => [
  { covers: `${cmd} --vault-password-file`, argv: base('--vault-password-file', join(dir, 'no-such-password')), code: 5, message: 'cannot read the vault password file' },
  { covers: `${cmd} --vault-password-file`, argv: base('--vault-password-file', dir), code: 5, message: `the vault password file ${dir} is a directory` },
  { covers: `${cmd} --vault-password-file`, argv: base('--vault-password-file'), code: 5, message: '--vault-password-file needs a value' },
  { covers: `${cmd} --vault-id`, argv: base('--vault-id', 'prod@'), code: 5, message: '--vault-id "prod@": expected LABEL@FILE, LABEL@prompt or FILE' },
  { covers: `${cmd} --vault-id`, argv: base('--vault-id'), code: 5, message: '--vault-id needs a value' },
  { covers: `${cmd} --ask-vault-pass`, argv: base('--ask-vault-pass'), code: 5, message: '--ask-vault-pass needs a terminal' },
  { covers: `${cmd} --ask-vault-pass`, argv: base('--ask-vault-pass=maybe'), code: 5, message: '--ask-vault-pass is a switch' },
];

/** The rows shared by run and validate. */
const commonRows = (cmd: string, base: (...x: string[]) => string[]): Row[] => [
  { covers: `${cmd} <playbook>`, argv: [cmd], code: 5, message: `capstan ${cmd}: missing arguments` },
  { covers: `${cmd} <playbook>`, argv: [cmd, join(dir, 'nope.ts'), '-i', inv], code: 5, message: 'playbook not found' },
  { covers: `${cmd} <playbook>`, argv: [cmd, dir, '-i', inv], code: 5, message: 'is a directory' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb], code: 5, message: 'missing --inventory' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb, '-i'], code: 5, message: '--inventory needs a value' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb, '-i', join(dir, 'missing.ini')], code: 5, message: 'inventory not found' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb, '-i', join(dir, 'loop-inv'), ...sample], code: 5, message: 'symlink loop' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb, '-i', join(dir, 'badconn.ini'), ...sample], code: 5, message: 'ansible_port must be a port number from 1 to 65535, got 99999' },
  { covers: `${cmd} --inventory`, argv: [cmd, pb, '-i', join(dir, 'huge.ini'), ...sample], code: 5, message: 'expand to more than 100000 hosts' },
  { covers: `${cmd} --limit`, argv: base('--limit', 'web9'), code: 5, message: 'web9' },
  { covers: `${cmd} --limit`, argv: base('--limit'), code: 5, message: '-l' },
  { covers: `${cmd} --extra-vars`, argv: base('-e', `@${dir}`), code: 5, message: `-e @${dir}: cannot read ${dir}: it is a directory, not a file (EISDIR)` },
  { covers: `${cmd} --extra-vars`, argv: base('-e', `@${join(dir, 'loop.yml')}`), code: 5, message: 'symlink loop (ELOOP)' },
  { covers: `${cmd} --extra-vars`, argv: base('-e', 'novalue'), code: 5, message: 'expected key=value' },
  { covers: `${cmd} --extra-vars`, argv: base('-e', '{"a":'), code: 5, message: 'not valid JSON' },
  { covers: `${cmd} --tags`, argv: base('--tags', 'deploi'), code: 5, message: /--tags deploi: no step has this tag\n.*known tags: mark, noop/ },
  { covers: `${cmd} --tags`, argv: base('--tags', 'mark,'), code: 5, message: '--tags takes names separated by commas' },
  { covers: `${cmd} --skip-tags`, argv: base('--skip-tags', 'mark,noop'), code: 5, message: '--skip-tags mark,noop leaves no step to run' },
  { covers: `${cmd} --skip-tags`, argv: base('--skip-tags'), code: 5, message: '--skip-tags needs a value' },
  { covers: '* --log-file', argv: base('--log-file', dir), code: 5, message: `--log-file ${dir}: it is a directory` },
  { covers: '* --log-file', argv: base('--log-file', '/dev/null/capstan.log'), code: 5, message: 'a part of the path is not a directory (ENOTDIR)' },
  { covers: '* --log-file', argv: base('--log-file', join(dir, 'no-such-dir', 'capstan.log')), code: 5, message: 'cannot write there: its directory does not exist' },
  { covers: `${cmd} --unknown`, argv: base('--limt', 'x'), code: 5, message: 'unknown option --limt (did you mean --limit?)' },
  { covers: `${cmd} --slice`, argv: base('--slice', '5/4'), code: 5, message: '--slice takes K/N, the K-th of N slices (1 <= K <= N <= 10000), such as 2/4, got "5/4"' },
  { covers: `${cmd} --slice`, argv: base('--slice', 'half'), code: 5, message: 'got "half"' },
  { covers: `${cmd} --slice`, argv: base('--slice'), code: 5, message: '--slice needs a value' },
];

const ROWS: Row[] = [
  { covers: '* <command>', argv: [], code: 5, message: 'no command given' },
  { covers: '* <command>', argv: ['rnu', 'site.ts'], code: 5, message: 'unknown command "rnu": did you mean run?' },
  { covers: '* <command>', argv: ['xyzzy'], code: 5, message: 'unknown command "xyzzy"' },
  { covers: 'run <playbook>', argv: ['run'], code: 5, message: USAGE_RUN },
  ...commonRows('run', run),
  ...sshRows('run', run),
  ...vaultRows('run', run),
  { covers: 'run --check', argv: run('--check=maybe'), code: 5, message: '--check is a switch' },
  { covers: 'run --diff', argv: run('--diff=1'), code: 5, message: '--diff is a switch' },
  { covers: 'run --json', argv: run('--json=yes'), code: 5, message: '--json is a switch' },
  { covers: 'run --forks', argv: run('-f', 'abc'), code: 5, message: '--forks takes a whole number from 1 to 1000, got "abc"' },
  { covers: 'run --forks', argv: run('-f', '0'), code: 5, message: '--forks takes a whole number from 1 to 1000, got 0' },
  { covers: 'run --forks', argv: run('-f', '-3'), code: 5, message: '--forks takes a whole number from 1 to 1000, got -3' },
  { covers: 'run --forks', argv: run('-f', '2.5'), code: 5, message: 'got 2.5' },
  { covers: 'run --forks', argv: run('-f'), code: 5, message: '-f needs a value' },
  { covers: 'run --command-timeout', argv: run('--command-timeout', 'soon'), code: 5, message: '--command-timeout takes a number of seconds above 0' },
  { covers: 'run --command-timeout', argv: run('--command-timeout', '-5'), code: 5, message: 'got -5' },
  { covers: 'run --lock-wait', argv: run('--lock-wait', '-1'), code: 5, message: '--lock-wait takes a number of seconds from 0 and up to 86400, got -1' },
  { covers: 'run --lock-wait', argv: run('--lock-wait', 'forever'), code: 5, message: 'got "forever"' },
  ...commonRows('validate', validate),
  ...vaultRows('validate', validate),
  ...vaultRows('inventory', (...x) => ['inventory', '-i', inv, ...x]),
  ...vaultRows('explain', (...x) => ['explain', 'localhost', 'x', '-i', inv, ...x]),
  ...vaultRows('facts', facts),
  ...vaultRows('advise', advise),
  { covers: 'inventory --inventory', argv: ['inventory'], code: 5, message: 'missing --inventory' },
  { covers: 'inventory --inventory', argv: ['inventory', '-i', join(dir, 'loop-inv')], code: 5, message: 'symlink loop' },
  { covers: 'inventory --list', argv: ['inventory', '-i', inv, '--list', '--graph'], code: 5, message: 'Arguments list and graph are mutually exclusive' },
  { covers: 'inventory --list', argv: ['inventory', '-i', inv, '--list=all'], code: 5, message: '--list is a switch' },
  { covers: 'inventory --graph', argv: ['inventory', '-i', inv, '--graph=tree'], code: 5, message: '--graph is a switch' },
  { covers: 'inventory --host', argv: ['inventory', '-i', inv, '--host', 'web9'], code: 5, message: 'no host "web9"' },
  { covers: 'inventory --host', argv: ['inventory', '-i', inv, '--host'], code: 5, message: '--host needs a value' },
  { covers: 'explain <host>', argv: ['explain', '-i', inv], code: 5, message: 'capstan explain: missing arguments' },
  { covers: 'explain <host>', argv: ['explain', 'web9', 'x', '-i', inv], code: 5, message: 'no host "web9"' },
  { covers: 'explain <variable>', argv: ['explain', 'localhost', '', '-i', inv], code: 5, message: 'VARIABLE needs a value' },
  { covers: 'explain --inventory', argv: ['explain', 'localhost', 'x', '-i', join(dir, 'missing.ini')], code: 5, message: 'inventory not found' },
  { covers: 'explain --extra-vars', argv: ['explain', 'localhost', 'x', '-i', inv, '-e', `@${dir}`], code: 5, message: 'EISDIR' },
  { covers: 'facts <host>', argv: ['facts', 'web9', '-i', inv], code: 5, message: '"web9" matches no group or host' },
  { covers: 'facts <host>', argv: ['facts', 'all', '-i', inv], code: 5, message: '"all" is not a single host' },
  { covers: 'facts <host>', argv: ['facts', '-i', inv], code: 5, message: 'capstan facts: missing arguments' },
  { covers: 'facts --inventory', argv: ['facts', 'localhost', '-i', join(dir, 'loop-inv')], code: 5, message: 'symlink loop' },
  ...sshRows('facts', facts),
  { covers: 'advise --inventory', argv: ['advise'], code: 5, message: 'missing --inventory' },
  { covers: 'advise --limit', argv: advise('--limit'), code: 5, message: '-l' },
  { covers: 'advise --sample-seconds', argv: advise('--sample-seconds', '0'), code: 5, message: '--sample-seconds takes a whole number from 1 to 3600, got 0' },
  { covers: 'advise --sample-seconds', argv: advise('--sample-seconds', 'abc'), code: 5, message: 'got "abc"' },
  { covers: 'advise --uptime-sla', argv: advise('--uptime-sla', '100'), code: 5, message: '--uptime-sla takes a percentage between 0 and 100' },
  { covers: 'advise --prometheus', argv: advise('--prometheus', 'ftp://10.0.0.5'), code: 5, message: '--prometheus must be an http(s) URL' },
  { covers: 'advise --prometheus-window', argv: advise('--prometheus-window', 'fortnight'), code: 5, message: 'fortnight' },
  { covers: 'advise --forks', argv: advise('-f', '-3'), code: 5, message: '--forks takes a whole number from 1 to 1000, got -3' },
  { covers: 'advise --json', argv: advise('--json=no'), code: 5, message: '--json is a switch' },
  ...sshRows('advise', advise),
  { covers: 'lab <action>', argv: ['lab', 'sideways'], code: 5, message: 'Given: "sideways", Choices: "up", "inventory", "down"' },
  { covers: 'lab <action>', argv: ['lab'], code: 5, message: 'capstan lab: missing arguments' },
  { covers: 'lab --nodes', argv: ['lab', 'up', '--nodes', '0'], code: 5, message: '--nodes takes a whole number from 1 to 50, got 0' },
  { covers: 'lab --nodes', argv: ['lab', 'up', '-n', 'many'], code: 5, message: 'got "many"' },
  { covers: 'lab --group', argv: ['lab', 'up', '--group', 'server'], code: 5, message: '--group server: expected NAME=COUNT' },
  { covers: 'init <dir>', argv: ['init', '/dev/null/project'], code: 5, message: 'cannot write /dev/null/project/' },
  { covers: 'role <command>', argv: ['role'], code: 5, message: 'name a role command: new or docs' },
  { covers: 'role <command>', argv: ['role', 'nwe', 'x'], code: 5, message: 'unknown command "nwe": did you mean new?' },
  { covers: 'role new <name>', argv: ['role', 'new', 'Bad Name'], code: 5, message: 'Bad Name is not an npm package name' },
  { covers: 'role new --dir', argv: ['role', 'new', 'x', '--dir'], code: 5, message: '--dir needs a value' },
  { covers: 'role docs <dir>', argv: ['role', 'docs', join(dir, 'nope')], code: 5, message: 'is not a role package' },
  { covers: 'role docs --check', argv: ['role', 'docs', '--check=maybe'], code: 5, message: '--check is a switch' },
  { covers: 'recap <command>', argv: ['recap'], code: 5, message: 'name a recap command: merge' },
  { covers: 'recap merge <files>', argv: ['recap', 'merge'], code: 5, message: 'missing argument' },
  { covers: 'recap merge <files>', argv: ['recap', 'merge', join(dir, 'no-such.ndjson')], code: 5, message: `cannot read ${dir}/no-such.ndjson: ` },
  { covers: 'recap merge <files>', argv: ['recap', 'merge', inv], code: 5, message: 'no run.start event: not the --json output of capstan run' },
  { covers: 'recap merge --json', argv: ['recap', 'merge', inv, '--json=1'], code: 5, message: '--json is a switch' },
  { covers: 'recipe <kind>', argv: ['recipe', 'helm', pb, '-i', inv, '--slices', '2'], code: 5, message: 'Given: "helm", Choices: "k8s-job", "github-actions"' },
  { covers: 'recipe <playbook>', argv: ['recipe', 'github-actions', join(dir, 'nope.ts'), '-i', inv, '--slices', '2'], code: 5, message: 'playbook cannot read' },
  { covers: 'recipe <playbook>', argv: ['recipe', 'github-actions'], code: 5, message: 'capstan recipe: missing arguments' },
  { covers: 'recipe --inventory', argv: ['recipe', 'github-actions', pb, '--slices', '2'], code: 5, message: 'missing --inventory' },
  { covers: 'recipe --inventory', argv: ['recipe', 'github-actions', pb, '-i', dir, '--slices', '2'], code: 5, message: 'is not a file' },
  { covers: 'recipe --slices', argv: ['recipe', 'github-actions', pb, '-i', inv, '--slices', '0'], code: 5, message: '--slices takes a whole number from 1 to 10000, got 0' },
  { covers: 'recipe --slices', argv: ['recipe', 'github-actions', pb, '-i', inv], code: 5, message: 'missing --slices' },
  { covers: 'recipe --name', argv: ['recipe', 'github-actions', pb, '-i', inv, '--slices', '2', '--name', ''], code: 5, message: '--name needs a value' },
  { covers: 'recipe --check', argv: ['recipe', 'github-actions', pb, '-i', inv, '--slices', '2', '--check=maybe'], code: 5, message: '--check is a switch' },
  { covers: 'recipe --image', argv: ['recipe', 'k8s-job', pb, '-i', inv, '--slices', '2'], code: 5, message: '--image is needed for k8s-job' },
  { covers: 'recipe --image', argv: ['recipe', 'k8s-job', pb, '-i', inv, '--slices', '2', '--image'], code: 5, message: '--image needs a value' },
  { covers: 'recipe --workdir', argv: ['recipe', 'k8s-job', pb, '-i', inv, '--slices', '2', '--image', 'x', '--workdir', ''], code: 5, message: '--workdir needs a value' },
  { covers: 'recipe --mount-dir', argv: ['recipe', 'k8s-job', pb, '-i', inv, '--slices', '2', '--image', 'x', '--mount-dir', ''], code: 5, message: '--mount-dir needs a value' },
  { covers: 'lab --privileged', argv: ['lab', 'up', '--privileged=please'], code: 5, message: '--privileged is a switch' },
];

/** Options that take any value, and why no value can be bad. */
const ACCEPTS_ANYTHING: Record<string, string> = {
  '* --help': 'a switch that prints the help; any other word after it is still parsed as usual',
  '* --version': 'a switch that prints the version',
  '* --verbose': 'a count: -v, -vv, -vvv (more than three is the same as three)',
  'explain <variable>': 'a variable name no layer sets is answered "not defined", with the nearest name (covered also by an empty name row)',
};

async function capstan(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('bad input on the command line: one clear line, exit 5, never a stack trace', () => {
  before(() => {
    writeFileSync(inv, '[first]\nlocalhost ansible_connection=local\n[second]\nlocalhost\n');
    writeFileSync(join(dir, 'badconn.ini'), '[first]\nlocalhost ansible_connection=local\n[second]\nbad ansible_port=99999 ansible_host=10.0.0.9\n');
    writeFileSync(join(dir, 'huge.ini'), '[first]\nlocalhost ansible_connection=local\n[second]\nh[1:1000][1:1000]\n');
    mkdirSync(join(dir, 'loop-inv', 'group_vars'), { recursive: true });
    writeFileSync(join(dir, 'loop-inv', 'hosts.ini'), '[first]\nlocalhost ansible_connection=local\n[second]\nlocalhost\n');
    symlinkSync('first.yml', join(dir, 'loop-inv', 'group_vars', 'first.yml'));
    symlinkSync('loop.yml', join(dir, 'loop.yml'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const row of ROWS) {
    it(`capstan ${row.argv.map((a) => a.replace(dir, 'DIR').replace(root, '')).join(' ')} → ${row.code}`, async () => {
      const r = await capstan(row.argv);
      assert.equal(r.code, row.code, `exit code; stderr:\n${r.err}`);
      if (typeof row.message === 'string') assert.ok(r.err.includes(row.message), `expected ${JSON.stringify(row.message)} in:\n${r.err}`);
      else assert.match(r.err, row.message);
      assert.match(r.err, /^error: invalid input, nothing was run:/);
      assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+\)?\n|internal error/, 'no stack trace');
      assert.equal(existsSync(join(dir, 'ws', 'first-play')), false, 'nothing was run');
    });
  }

  it('every flag and argument of every command has a bad-input row, or a reason it accepts anything', async () => {
    const help = (await capstan(['--help'])).out;
    const commands = [...help.matchAll(/^\s+capstan (\w+)/gm)].map((m) => m[1] as string);
    assert.ok(commands.length >= 7, help);
    const covered = new Set([...ROWS.map((r) => r.covers), ...Object.keys(ACCEPTS_ANYTHING)]);
    const missing: string[] = [];
    for (const cmd of commands) {
      const text = (await capstan([cmd, '--help'])).out;
      const [, positionals = '', options = ''] = /(?:Positionals:\n([\s\S]*?)\n\n)?Options:\n([\s\S]*)/.exec(text) ?? [];
      const names = [
        ...[...positionals.matchAll(/^\s{2}(\w[\w-]*)\s/gm)].map((m) => `<${m[1]}>`),
        ...[...options.matchAll(/^\s+(?:-\w, )?--([\w-]+)/gm)].map((m) => `--${m[1]}`),
      ];
      assert.ok(names.length > 0, text);
      for (const n of names) if (!covered.has(`${cmd} ${n}`) && !covered.has(`* ${n}`)) missing.push(`${cmd} ${n}`);
    }
    assert.deepEqual(missing, [], 'flags without a bad-input row');
  });
});
