// The browser tests' harness. It builds nothing: it runs the already-built
// target/debug/portico (or $PORTICO_BIN) against SQLite in a temp dir, creates practices with
// `portico practice create`, sets up patients and invitations through the practice API,
// reads delivered mail from the temp mail folder, and drives Debian's Chromium through
// playwright-core. Nothing here downloads a browser.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const screenshotDir = resolve(process.env.PORTICO_SCREENSHOTS ?? join(repoRoot, 'artifacts/screenshots'));
const CHROMIUM = process.env.PORTICO_CHROMIUM ?? '/usr/bin/chromium';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Starts Portico on a free port with a fresh SQLite database and mail folder. */
export async function startPortico() {
  const bin = resolve(process.env.PORTICO_BIN ?? join(repoRoot, 'target/debug/portico'));
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it first (cargo build --bin portico)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'portico-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PORTICO_')) delete env[k];
  Object.assign(env, {
    PORTICO_DATABASE_URL: `sqlite://${dir}/portico.db?mode=rwc`,
    PORTICO_MAIL_DIR: join(dir, 'mail'),
    PORTICO_SMS_DIR: join(dir, 'sms'),
    PORTICO_BIND: `127.0.0.1:${port}`,
    PORTICO_PUBLIC_URL: base,
    PORTICO_OUTBOX_POLL_MS: '50',
  });
  const log = createWriteStream(join(dir, 'server.log'));
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited = null;
  proc.on('exit', (code) => { exited = code; });
  for (let i = 0; ; i++) {
    if (exited !== null) {
      throw new Error(`portico serve exited with ${exited}; see ${join(dir, 'server.log')}`);
    }
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch { /* not listening yet */ }
    if (i > 300) throw new Error(`portico did not start in 30 s; see ${join(dir, 'server.log')}`);
    await sleep(100);
  }
  return new Portico({ bin, env, dir, base, proc });
}

export class Portico {
  constructor({ bin, env, dir, base, proc }) {
    Object.assign(this, { bin, env, dir, base, proc });
    this.mailDir = join(dir, 'mail');
  }

  async stop() {
    if (this.proc.exitCode !== null) return;
    const done = new Promise((ok) => this.proc.once('exit', ok));
    this.proc.kill('SIGTERM');
    await done;
  }

  /** `portico practice create`; returns the admin API key (the last line of its output). */
  createPractice(slug, name, phone) {
    const out = execFileSync(this.bin, ['practice', 'create', '--slug', slug, '--name', name, '--phone', phone], {
      env: this.env,
      encoding: 'utf8',
    });
    return out.trim().split('\n').pop().trim();
  }

  /** A call to the practice API with a staff key; returns {status, body}. */
  async api(key, method, path, body) {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }

  async apiOk(key, method, path, body) {
    const r = await this.api(key, method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Every delivered email, oldest first, decoded. */
  allMail() {
    if (!existsSync(this.mailDir)) return [];
    return readdirSync(this.mailDir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => join(this.mailDir, f))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
      .map((f) => parseEml(readFileSync(f, 'utf8')));
  }

  /** Waits (up to 10 s) for the `n`th email to `to`; returns it. */
  async waitForMail(to, n = 1) {
    for (let i = 0; i < 200; i++) {
      const got = this.allMail().filter((m) => m.to.toLowerCase() === to.toLowerCase());
      if (got.length >= n) return got[n - 1];
      await sleep(50);
    }
    throw new Error(`no email #${n} to ${to} in ${this.mailDir}`);
  }

  /** The first link in a mail's text that starts with `{public url}{prefix}`. */
  linkIn(mail, prefix) {
    const want = `${this.base}${prefix}`;
    const link = mail.text.split(/\s+/).find((w) => w.startsWith(want));
    if (!link) throw new Error(`no ${want}… link in: ${mail.text}`);
    return link.replace(/[.,)>]+$/, '');
  }

  /** Moves an invitation's expiry into the past, as if its lifetime had run out. */
  expireInvitation(invitationId) {
    const script = [
      'import sqlite3, sys, uuid, datetime',
      'db = sqlite3.connect(sys.argv[1])',
      'past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()',
      'n = db.execute("UPDATE invitations SET expires_at = ? WHERE id = ?", (past, uuid.UUID(sys.argv[2]).bytes)).rowcount',
      'db.commit()',
      'sys.exit(0 if n == 1 else 1)',
    ].join('\n');
    execFileSync('python3', ['-c', script, join(this.dir, 'portico.db'), invitationId]);
  }
}

/** Decodes the parts of an .eml file that tests read: To, Subject and the text part. */
export function parseEml(raw) {
  const [head] = raw.split(/\r?\n\r?\n/);
  const header = (name) => {
    const m = head.match(new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'mi'));
    return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : '';
  };
  const to = header('To').replace(/^.*</, '').replace(/>.*$/, '');
  let text = raw;
  const part = raw.match(/Content-Type: text\/plain[^]*?\r?\n\r?\n([^]*?)\r?\n--/i);
  if (part) text = part[1];
  const qp = /Content-Type: text\/plain[^]*?Content-Transfer-Encoding: quoted-printable/i.test(raw);
  if (qp) {
    text = text.replace(/=\r?\n/g, '');
    text = Buffer.from(text.replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return { to, subject: header('Subject'), text };
}

/** Debian's Chromium, headless, with a fresh profile; JavaScript off, as pages need none. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'portico-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled: false,
    viewport: { width: 375, height: 812 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return context;
}

/** Saves a full-page screenshot as artifacts/screenshots/{name}.png. */
export async function shot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
