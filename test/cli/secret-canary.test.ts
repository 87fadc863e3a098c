/*
 * Specification: a secret never leaves, whatever its source and whatever the way out.
 *
 * Each source below holds its own canary value. Each run (check and apply, --diff on and off,
 * pretty and --json) is made at maximum verbosity (-vvv and --log-file), and everything it
 * writes is searched: stdout, stderr, the log file, and the controller's process list sampled
 * with `ps -eww` while it runs. Then `explain`, `inventory --list/--host` and `validate` are
 * searched the same way. The count of every canary in every channel must be 0; the files on
 * the host prove the values were really used.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaks, runCapturing, type Captured } from '../support/canary.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { ROLE_DEFAULT_TOKEN } from '../fixtures/playbooks/secret-canary.ts';

const tag = Math.random().toString(16).slice(2, 10);
const canary = (source: string) => `canary-${source}-${tag}`;

/** Source → canary. Each is used by test/fixtures/playbooks/secret-canary.ts. */
const SOURCES = {
  'inventory host var (db_password)': canary('inventory-host'),
  'inventory group var (api_token)': canary('inventory-group'),
  'group_vars/all (registry_secret)': canary('group-vars'),
  'host_vars (backup_passwd)': canary('host-vars'),
  '-e key=value (join_token)': canary('e-key-value'),
  '-e JSON (admin_password)': canary('e-json'),
  '-e @file.yml, nested (mail.smtp_pass)': canary('e-yaml-file'),
  '-e @file.json (session_secret)': canary('e-json-file'),
  '-e ansible_password': canary('e-ansible-password'),
  'role default (webhook_token)': ROLE_DEFAULT_TOKEN,
  'previous content of a file written from a Secret (token: in config.yaml)': canary('previous-config'),
  'a file on the host holding a credential, read by facts (APP_TOKEN= in app.env)': canary('host-file'),
} as const;
const S = SOURCES;

const PLAYBOOK = 'test/fixtures/playbooks/secret-canary.ts';

/**
 * Runs on the local connector take this machine's run lock. Each run gets a private /tmp
 * (so its own lock) where it can; elsewhere, when another run holds the lock, the run is
 * refused before anything is done and is made again once that one has finished. Every
 * attempt's output is searched.
 */
async function runTakingTurns(args: string[], log: string): Promise<Captured> {
  for (let attempt = 1; ; attempt++) {
    const r = await runCapturing(args, { logFile: log, privateTmp: true });
    assert.deepEqual(leaks(r, SOURCES), [], `secrets leaked with ${args.slice(-4).join(' ')}`);
    if (r.code === 0 || !/another Capstan run holds the lock/.test(r.stdout) || attempt === 30) return r;
  }
}

describe('secret canaries: every source × every output × check/apply × diff on/off, at -vvv with --log-file', { skip: requires(TOOLS.ps) }, () => {
  let dir = '';
  let inv = '';
  let extra: string[] = [];
  before(() => {
    // outside /tmp: the runs see a private /tmp of their own
    dir = mkdtempSync(join('/var/tmp', 'capstan-canary-'));
    mkdirSync(join(dir, 'group_vars'));
    mkdirSync(join(dir, 'host_vars'));
    inv = join(dir, 'hosts.yml');
    writeFileSync(inv, [
      'all:',
      '  children:',
      '    app:',
      '      hosts:',
      `        canaryhost: { ansible_connection: local, db_password: ${S['inventory host var (db_password)']} }`,
      `      vars: { api_token: ${S['inventory group var (api_token)']} }`,
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'group_vars/all.yml'), `registry_secret: ${S['group_vars/all (registry_secret)']}\n`);
    writeFileSync(join(dir, 'host_vars/canaryhost.yml'), `backup_passwd: ${S['host_vars (backup_passwd)']}\n`);
    writeFileSync(join(dir, 'extra.yml'), `mail:\n  server: smtp.example.lan\n  smtp_pass: ${S['-e @file.yml, nested (mail.smtp_pass)']}\n`);
    writeFileSync(join(dir, 'extra.json'), JSON.stringify({ session_secret: S['-e @file.json (session_secret)'] }));
    extra = [
      '-e', `join_token=${S['-e key=value (join_token)']}`,
      '-e', JSON.stringify({ admin_password: S['-e JSON (admin_password)'] }),
      '-e', `@${join(dir, 'extra.yml')}`,
      '-e', `@${join(dir, 'extra.json')}`,
      '-e', `ansible_password=${S['-e ansible_password']}`,
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh host directory, with the files an earlier run would have left there. */
  const hostRoot = (name: string) => {
    const root = join(dir, name);
    mkdirSync(root);
    writeFileSync(join(root, 'config.yaml'), `cluster-init: true\ntoken: ${S['previous content of a file written from a Secret (token: in config.yaml)']}\n`, { mode: 0o600 });
    writeFileSync(join(root, 'app.env'), `APP_NAME=shop\nAPP_TOKEN=${S['a file on the host holding a credential, read by facts (APP_TOKEN= in app.env)']}\n`, { mode: 0o600 });
    return root;
  };

  for (const check of [true, false]) {
    for (const diff of [true, false]) {
      for (const json of [false, true]) {
        const name = `${check ? 'check' : 'apply'}${diff ? ' --diff' : ''}${json ? ' --json' : ' (pretty)'}`;
        it(`${name}: 0 occurrences of every canary in stdout, stderr, log file and process list`, async () => {
          const root = hostRoot(name.replace(/\W+/g, '-'));
          const log = join(dir, `${name.replace(/\W+/g, '-')}.log`);
          const args = ['run', PLAYBOOK, '-i', inv, '-e', `root=${root}`, ...extra, '-vvv', '--log-file', log,
            ...(check ? ['--check'] : []), ...(diff ? ['--diff'] : []), ...(json ? ['--json'] : [])];
          const r = await runTakingTurns(args, log);
          assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
          if (diff || !check) assert.match(r.stdout, /\*\*\*/, 'the values were there to leak (a diff, a command\'s output), and were masked');
          if (diff) assert.match(r.stdout, json ? /"secret":true,"sizes":\{"before":\d+,"after":\d+\}/ : /content changed \(secret\): \d+ bytes → \d+ bytes, sha256/);
          assert.ok(r.controllerPs.length > 0 && r.log.length > 0, 'the process list was sampled and the log written');
          if (!check) {
            const written = readFileSync(join(root, 'all.env'), 'utf8') + readFileSync(join(root, 'plain.txt'), 'utf8') + readFileSync(join(root, 'webhook.txt'), 'utf8');
            for (const [source, value] of Object.entries(SOURCES).slice(0, 10)) assert.ok(written.includes(value), `the host got the value of ${source}`);
            assert.match(readFileSync(join(root, 'config.yaml'), 'utf8'), new RegExp(`token: ${S['-e key=value (join_token)']}`));
          }
        });
      }
    }
  }

  const inventorySources = Object.fromEntries(Object.entries(SOURCES).slice(0, 9));
  const commands: [string, () => string[]][] = [
    ['inventory --list', () => ['inventory', '-i', inv, '--list']],
    ['inventory --host', () => ['inventory', '-i', inv, '--host', 'canaryhost']],
    ['validate', () => ['validate', PLAYBOOK, '-i', inv, '-e', 'root=/nonexistent', ...extra]],
    ...Object.entries({ db_password: 0, api_token: 0, registry_secret: 0, backup_passwd: 0, join_token: 0, admin_password: 0, mail: 0, session_secret: 0, ansible_password: 0 })
      .map(([v]): [string, () => string[]] => [`explain ${v}`, () => ['explain', 'canaryhost', v, '-i', inv, ...extra]]),
  ];
  for (const [name, argv] of commands) {
    it(`${name} at -vvv with --log-file: 0 occurrences of every canary`, async () => {
      const log = join(dir, `${name.replace(/\W+/g, '-')}.log`);
      const r = await runCapturing([...argv(), '-vvv', '--log-file', log], { logFile: log });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(leaks(r, inventorySources), [], `secrets leaked by ${name}`);
      if (name.startsWith('explain') || name.startsWith('inventory')) assert.match(r.stdout, /\*\*\*/, 'the value is shown masked');
    });
  }
});
