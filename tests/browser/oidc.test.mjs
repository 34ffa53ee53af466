// An OpenID Connect login in a real browser: Debian's Chromium, headless, JavaScript off. A
// relying party (a tiny HTTP server on the loopback address) sends the patient to
// /oauth2/authorize; the patient logs in on Portico's pages; the browser must then arrive at
// the relying party's redirect URI with the code and the state by itself. The pages' CSP has
// `form-action 'self'`, which Chromium applies to every redirect after a form is sent, so a
// form's chain must never end at another origin (issue 17, item 0).

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { launchBrowser, shot, startPortico } from './harness.mjs';
import { checkA11y } from './a11y.mjs';
import { totp } from './totp.mjs';

const PASSWORD = 'correct horse battery staple';

let portico;
let browser;
let page;
let rp;
let violations;

/** The relying party: answers every request with a small page and remembers what arrived. */
function startRelyingParty() {
  return new Promise((ok) => {
    const arrived = [];
    const server = createServer((req, res) => {
      arrived.push(req.url);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1></html>');
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({
        server,
        arrived,
        redirectUri: `http://127.0.0.1:${port}/callback`,
        logoutUri: `http://127.0.0.1:${port}/bye`,
      });
    });
  });
}

before(async () => {
  portico = await startPortico();
  browser = await launchBrowser();
  rp = await startRelyingParty();
});

after(async () => {
  await browser?.close();
  await portico?.stop();
  rp?.server.close();
});

beforeEach(async () => {
  await browser.clearCookies();
  page = await browser.newPage();
  violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
});

afterEach(async () => {
  await page?.close();
});

/** A practice with an OIDC client whose redirect URI is the relying party's. */
async function practiceWithClient(slug, name, phone, settings) {
  const key = portico.createPractice(slug, name, phone);
  if (settings) await portico.apiOk(key, 'PATCH', '/api/v1/practice/settings', settings);
  const client = await portico.apiOk(key, 'POST', '/api/v1/practice/clients', {
    name: `${name} app`,
    redirect_uris: [rp.redirectUri],
    post_logout_redirect_uris: [rp.logoutUri],
    scopes: ['openid', 'profile', 'patient/*.rs', 'launch/patient'],
    public: true,
  });
  return { key, clientId: client.client_id };
}

/** A patient at each practice (one account for all), invited and redeemed through the API. */
async function patientAt(keys, username, { firstName = 'Ann', dob = '1990-04-01' } = {}) {
  const email = `${username}@example.org`;
  const patients = [];
  for (const [i, key] of keys.entries()) {
    const p = await portico.apiOk(key, 'POST', '/api/v1/practice/patients', {
      first_name: firstName, last_name: 'Lee', date_of_birth: dob, email,
    });
    await portico.apiOk(key, 'POST', `/api/v1/practice/patients/${p.id}/invitations`, {
      channel: 'email', relation: 'self',
    });
    const link = portico.linkIn(await portico.waitForMail(email, i + 1), '/invite/');
    const token = link.split('/invite/')[1];
    const r = await fetch(`${portico.base}/api/v1/invitations/${token}/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: i === 0 ? 'new' : 'existing', username, password: PASSWORD, date_of_birth: dob,
      }),
    });
    assert.ok([200, 201].includes(r.status), await r.text());
    patients.push(p);
  }
  return patients;
}

/** An authorization request with PKCE S256, as a stock relying party builds it. */
function authorizeRequest(clientId, scope = 'openid profile') {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(12).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: rp.redirectUri,
    scope,
    state,
    nonce: randomBytes(12).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return { path: `/oauth2/authorize?${params}`, verifier, state };
}

async function h1() {
  return (await page.textContent('h1')).trim();
}

/** Clicks a button and waits until the browser is at the relying party's redirect URI. */
async function submitAndArrive(label) {
  return clickAndArrive(`button:has-text("${label}")`);
}

async function clickAndArrive(selector) {
  const arrival = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri), { timeout: 10_000 });
  await page.click(selector);
  const req = await arrival.catch((e) => {
    throw new Error(`the browser never reached the redirect URI (at ${page.url()}; CSP: ${violations.join(' | ')}): ${e.message}`);
  });
  await page.waitForURL((u) => u.href.startsWith(rp.redirectUri), { timeout: 10_000 });
  return new URL(req.url());
}

async function submit(label) {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click(`button:has-text("${label}")`),
  ]);
  return response;
}

/** The code arrived with the request's state and issuer, and works at the token endpoint. */
async function assertCodeWorks(arrived, request, clientId) {
  assert.equal(arrived.searchParams.get('state'), request.state, 'state comes back');
  assert.equal(arrived.searchParams.get('iss'), portico.base, 'RFC 9207 iss');
  const code = arrived.searchParams.get('code');
  assert.ok(code, `a code in ${arrived}`);
  const r = await fetch(`${portico.base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: rp.redirectUri,
      client_id: clientId,
      code_verifier: request.verifier,
    }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.ok(body.id_token, 'an ID token');
  const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
  assert.deepEqual(violations, [], 'no Content-Security-Policy violation on the way');
  return { body, claims };
}

test('an oidc password login lands on the redirect uri with the code by itself', async () => {
  const { key, clientId } = await practiceWithClient('birch-clinic', 'Birch Clinic', '555-0301');
  const [ann] = await patientAt([key], 'ann.birch');
  const request = authorizeRequest(clientId);

  await page.goto(`${portico.base}${request.path}`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await h1(), 'Log in to Birch Clinic');
  await page.fill('#f-username', 'ann.birch');
  await page.fill('#f-password', PASSWORD);
  const arrived = await submitAndArrive('Log in');
  assert.equal(await h1(), 'Back at the app');
  const { claims } = await assertCodeWorks(arrived, request, clientId);
  assert.deepEqual(claims.amr, ['pwd']);
  assert.ok(ann.id);

  // Signed in now: the next authorization request goes straight back with a code.
  const again = authorizeRequest(clientId);
  const arrival = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
  await page.goto(`${portico.base}${again.path}`);
  await assertCodeWorks(new URL((await arrival).url()), again, clientId);
});

test('an oidc two-step login lands on the redirect uri with the code by itself', async () => {
  const { key, clientId } = await practiceWithClient('cedar-health', 'Cedar Health', '555-0302', {
    mfa_required: true,
  });
  await patientAt([key], 'tom.cedar');

  // The first login sets two-step verification up, then shows the recovery codes.
  const first = authorizeRequest(clientId);
  await page.goto(`${portico.base}${first.path}`);
  await page.fill('#f-username', 'tom.cedar');
  await page.fill('#f-password', PASSWORD);
  await submit('Log in');
  assert.equal(await h1(), 'Set up two-step verification');
  const secret = (await page.textContent('.secret')).trim();
  await page.fill('#f-code', totp(secret));
  await submit('Turn on two-step verification');
  assert.equal(await h1(), 'Keep your recovery codes');
  const arrival = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
  await page.click('a:has-text("I have kept my codes, continue")');
  const { claims: enrolled } = await assertCodeWorks(new URL((await arrival).url()), first, clientId);
  assert.ok(enrolled.amr.includes('otp'), `amr after setting up two-step: ${enrolled.amr}`);

  // The next login asks for the code, then goes back to the app.
  await browser.clearCookies();
  const request = authorizeRequest(clientId);
  await page.goto(`${portico.base}${request.path}`);
  await page.fill('#f-username', 'tom.cedar');
  await page.fill('#f-password', PASSWORD);
  await submit('Log in');
  assert.equal(await h1(), 'Enter your code');
  // The code of the next 30 seconds: the one that turned it on may not be used twice.
  await page.fill('#f-code', totp(secret, Date.now() + 30_000));
  const arrived = await submitAndArrive('Continue');
  const { claims } = await assertCodeWorks(arrived, request, clientId);
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'], 'the ID token says a code was used');
});

test('an oidc login through the practice chooser lands on the redirect uri with the code by itself', async () => {
  const { key, clientId } = await practiceWithClient('dogwood-clinic', 'Dogwood Clinic', '555-0303');
  const other = portico.createPractice('elder-dental', 'Elder Dental', '555-0304');
  await patientAt([key, other], 'mia.dogwood');

  // A login link that names no practice (an app may build one): the chooser, then the app.
  const request = authorizeRequest(clientId);
  const login = `/login?${new URLSearchParams({ continue: request.path })}`;
  await page.goto(`${portico.base}${login}`);
  await page.fill('#f-username', 'mia.dogwood');
  await page.fill('#f-password', PASSWORD);
  await submit('Log in');
  assert.equal(await h1(), 'Choose a practice');
  const arrived = await submitAndArrive('Dogwood Clinic');
  await assertCodeWorks(arrived, request, clientId);
});

test('an oidc login through the smart patient chooser lands on the redirect uri with the code by itself', async () => {
  const { key, clientId } = await practiceWithClient('fir-family', 'Fir Family Practice', '555-0305');
  // A parent of two children: the app asks for one patient's record.
  const email = 'pat.fir@example.org';
  for (const [i, child] of ['Sam', 'Mia'].entries()) {
    const p = await portico.apiOk(key, 'POST', '/api/v1/practice/patients', {
      first_name: child, last_name: 'Fir', date_of_birth: '2016-05-20', email: `${child.toLowerCase()}.fir@example.org`,
    });
    await portico.apiOk(key, 'POST', `/api/v1/practice/patients/${p.id}/invitations`, {
      channel: 'email',
      relation: 'parent',
      recipient: { first_name: 'Pat', last_name: 'Fir', email },
    });
    const link = portico.linkIn(await portico.waitForMail(email, i + 1), '/invite/');
    const r = await fetch(`${portico.base}/api/v1/invitations/${link.split('/invite/')[1]}/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: i === 0 ? 'new' : 'existing',
        username: 'pat.fir',
        password: PASSWORD,
        date_of_birth: '2016-05-20',
        representative: { first_name: 'Pat', last_name: 'Fir', date_of_birth: '1984-02-11' },
      }),
    });
    assert.ok([200, 201].includes(r.status), await r.text());
  }

  const request = authorizeRequest(clientId, 'openid launch/patient patient/*.rs');
  await page.goto(`${portico.base}${request.path}`);
  await page.fill('#f-username', 'pat.fir');
  await page.fill('#f-password', PASSWORD);
  await submit('Log in');
  assert.equal(await h1(), 'Whose record should Fir Family Practice app open?');
  await checkA11y(page, 'patient chooser');
  await shot(page, 'oidc-choose-patient');
  const arrived = await clickAndArrive('a:has-text("Mia")');
  const { body } = await assertCodeWorks(arrived, request, clientId);
  assert.ok(body.patient, 'the chosen patient comes with the tokens');
});

test('a logout link from the app asks first, then its form returns the browser to the app', async () => {
  const { key, clientId } = await practiceWithClient('gum-tree-clinic', 'Gum Tree Clinic', '555-0306');
  await patientAt([key], 'lou.gum');
  const request = authorizeRequest(clientId);
  await page.goto(`${portico.base}${request.path}`);
  await page.fill('#f-username', 'lou.gum');
  await page.fill('#f-password', PASSWORD);
  await submitAndArrive('Log in');

  const logout = `/oauth2/logout?${new URLSearchParams({
    client_id: clientId, post_logout_redirect_uri: rp.logoutUri, state: 'bye-1',
  })}`;
  await page.goto(`${portico.base}${logout}`);
  assert.equal(await h1(), 'Do you want to log out?');
  assert.ok((await page.textContent('main')).includes('Gum Tree Clinic app asks to log you out'));
  await checkA11y(page, 'logout confirmation');
  await shot(page, 'oidc-logout-confirm');
  assert.ok((await browser.cookies()).some((c) => c.name === 'portico_session'), 'still signed in');

  const back = page.waitForRequest((r) => r.url().startsWith(rp.logoutUri), { timeout: 10_000 });
  await page.click('button:has-text("Log out")');
  const arrived = new URL((await back).url());
  // The request is seen before the page has loaded: let the navigation finish before the
  // next one, or the next one is interrupted by it.
  await page.waitForURL((u) => u.href.startsWith(rp.logoutUri), { timeout: 10_000 });
  assert.equal(arrived.searchParams.get('state'), 'bye-1');
  assert.deepEqual(violations, [], 'no Content-Security-Policy violation on the way');
  assert.ok(!(await browser.cookies()).some((c) => c.name === 'portico_session'), 'signed out');
  // Signed out: the app's next sign-in request asks for the password again.
  const again = authorizeRequest(clientId);
  await page.goto(`${portico.base}${again.path}`);
  assert.equal(new URL(page.url()).pathname, '/login');
});
