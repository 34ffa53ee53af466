// Portico's patient pages in a real browser: Debian's Chromium, headless, with JavaScript
// turned off (every page must work without it). Each test acts as a patient would: it opens
// the link from a delivered email, fills in the form and reads the page. Every page state is
// saved to artifacts/screenshots/ and checked for accessibility.

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, shot, startPortico } from './harness.mjs';
import { checkA11y, checkFocusVisible } from './a11y.mjs';
import { totp } from './totp.mjs';

const PASSWORD = 'correct horse battery staple';
const PHONE = { width: 375, height: 812 };
const TABLET = { width: 768, height: 1024 };

let portico;
let browser;
let page;

before(async () => {
  portico = await startPortico();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

beforeEach(async () => {
  await browser.clearCookies();
  page = await browser.newPage();
  await page.setViewportSize(PHONE);
});

afterEach(async () => {
  await page?.close();
});

/** A practice with the given settings; returns its admin key. */
async function practice(slug, name, phone, settings) {
  const key = portico.createPractice(slug, name, phone);
  if (settings) await portico.apiOk(key, 'PATCH', '/api/v1/practice/settings', settings);
  return key;
}

async function patient(key, body) {
  return portico.apiOk(key, 'POST', '/api/v1/practice/patients', body);
}

async function invite(key, patientId, body = { channel: 'email', relation: 'self' }) {
  return portico.apiOk(key, 'POST', `/api/v1/practice/patients/${patientId}/invitations`, body);
}

async function accessOf(key, patientId) {
  return portico.apiOk(key, 'GET', `/api/v1/practice/patients/${patientId}/access`);
}

async function fillDate(name, iso) {
  const [y, m, d] = iso.split('-');
  await page.fill(`#f-${name}-day`, String(Number(d)));
  await page.fill(`#f-${name}-month`, String(Number(m)));
  await page.fill(`#f-${name}-year`, y);
}

async function h1() {
  return (await page.textContent('h1')).trim();
}

async function submit(label) {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click(`button:has-text("${label}")`),
  ]);
  return response;
}

test('a patient follows the emailed invitation, registers, and the link then shows as used', async () => {
  const key = await practice('smith-family-clinic', 'Smith Family Clinic', '555-0100', {
    contact_email: 'frontdesk@smith.example',
    contact_name: 'Front desk',
  });
  const ann = await patient(key, {
    first_name: 'Ann', last_name: 'Lee', date_of_birth: '1990-04-01', email: 'ann@example.org',
  });
  await invite(key, ann.id);
  const mail = await portico.waitForMail('ann@example.org');
  const link = portico.linkIn(mail, '/invite/');

  const opened = await page.goto(link);
  assert.equal(opened.status(), 200);
  assert.equal(await h1(), 'Set up your patient portal');
  const body = await page.textContent('body');
  for (const text of ['Smith Family Clinic', 'Ann', '555-0100', 'frontdesk@smith.example', 'Front desk']) {
    assert.ok(body.includes(text), `the invitation page shows ${text}`);
  }
  assert.equal(await page.getAttribute('a[href^="tel:"]', 'href'), 'tel:5550100');
  const headers = opened.headers();
  assert.match(headers['content-security-policy'], /default-src 'none'/);
  assert.equal(headers['cache-control'], 'no-store');
  await checkA11y(page, 'invitation form');
  await checkFocusVisible(page, 'invitation form');
  await shot(page, 'invite-patient-form-phone');

  await page.fill('#f-username', 'ann.lee');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  await fillDate('date_of_birth', '1990-04-01');
  const done = await submit('Create account');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'You can now log in');
  assert.ok((await page.textContent('main')).includes('ann.lee'));
  assert.equal(await page.getAttribute('main a.button', 'href'), '/login');
  await checkA11y(page, 'invitation done');
  await shot(page, 'invite-patient-done');

  const [access] = await accessOf(key, ann.id);
  assert.equal(access.status, 'active');
  assert.equal(access.username, 'ann.lee');
  assert.equal(access.relation, 'self');

  const again = await page.goto(link);
  assert.equal(again.status(), 410);
  assert.equal(await h1(), 'This invitation link has already been used');
  assert.ok((await page.textContent('main')).includes('555-0100'));
  await checkA11y(page, 'used link');
  await shot(page, 'invite-used');

  // A second practice invites Ann, who links the account she already has.
  const key2 = await practice('harbour-dental', 'Harbour Dental', '555-0222');
  const ann2 = await patient(key2, {
    first_name: 'Ann', last_name: 'Lee', date_of_birth: '1990-04-01', email: 'ann@example.org',
  });
  await invite(key2, ann2.id);
  const link2 = portico.linkIn(await portico.waitForMail('ann@example.org', 2), '/invite/');
  await page.goto(link2);
  await Promise.all([page.waitForNavigation(), page.click('text=Use your existing account')]);
  assert.ok((await page.textContent('main')).includes('Sign in with your existing account'));
  assert.equal(await page.inputValue('input[name=account]'), 'existing');
  await checkA11y(page, 'existing account form');
  await shot(page, 'invite-existing-account-form');
  await page.fill('#f-username', 'ann.lee');
  await page.fill('#f-password', PASSWORD);
  await fillDate('date_of_birth', '1990-04-01');
  const linked = await submit('Link my account');
  assert.equal(linked.status(), 200);
  assert.ok((await page.textContent('main')).includes('Harbour Dental is now linked to your account'));
  await shot(page, 'invite-existing-account-done');
  const [access2] = await accessOf(key2, ann2.id);
  assert.equal(access2.username, 'ann.lee');
  assert.equal(access2.status, 'active');
});

test('a parent registers for a minor from the emailed link', async () => {
  const key = await practice('lakeside-pediatrics', 'Lakeside Pediatrics', '555-0133');
  const sam = await patient(key, {
    first_name: 'Sam', last_name: 'Lee', date_of_birth: '2016-05-20', email: 'bea@example.org',
  });
  await invite(key, sam.id, {
    channel: 'email',
    relation: 'parent',
    recipient: { first_name: 'Bea', last_name: 'Lee', email: 'bea@example.org' },
  });
  const link = portico.linkIn(await portico.waitForMail('bea@example.org'), '/invite/');

  await page.goto(link);
  assert.equal(await h1(), 'Set up access to Sam’s portal');
  assert.ok((await page.textContent('main')).includes('as Sam’s parent'));
  assert.equal((await page.textContent('#f-date_of_birth legend')).trim(), 'Sam’s date of birth');
  await checkA11y(page, 'representative form');
  await shot(page, 'invite-parent-form-phone');

  await page.fill('#f-username', 'bea.lee');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  await page.fill('#f-rep_first_name', 'Bea');
  await page.fill('#f-rep_last_name', 'Lee');
  await fillDate('rep_date_of_birth', '1984-02-11');
  await fillDate('date_of_birth', '2016-05-20');
  const done = await submit('Create account');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'You can now log in');
  assert.ok((await page.textContent('main')).includes('to act for Sam at Lakeside Pediatrics'));
  await checkA11y(page, 'representative done');
  await shot(page, 'invite-parent-done');

  const [access] = await accessOf(key, sam.id);
  assert.equal(access.relation, 'parent');
  assert.equal(access.status, 'active');
  assert.equal(access.username, 'bea.lee');
});

test('self sign-up with email confirmation through the emailed link', async () => {
  await practice('riverside-clinic', 'Riverside Clinic', '555-0144', {
    self_registration: 'verify_email',
    required_fields: ['email', 'postal_code'],
  });
  await page.goto(`${portico.base}/register/riverside-clinic`);
  assert.equal(await h1(), 'Sign up for the patient portal');
  assert.equal(await page.isVisible('#f-postal_code'), true, 'the practice requires a postal code');
  assert.equal(await page.isVisible('#f-mobile'), false, 'the practice does not require a mobile');
  await checkA11y(page, 'sign-up form');
  await shot(page, 'register-form-phone');

  await page.fill('#f-first_name', 'Zoe');
  await page.fill('#f-last_name', 'Park');
  await fillDate('date_of_birth', '1995-06-15');
  await page.fill('#f-email', 'zoe@example.org');
  await page.fill('#f-username', 'zoe.park');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  // The practice requires a postal code: left empty, it is asked for by name.
  const refused = await submit('Sign up');
  assert.equal(refused.status(), 422);
  assert.equal((await page.textContent('#f-postal_code-error')).trim(), 'Error: Enter your home postal code.');
  assert.equal(await page.inputValue('#f-email'), 'zoe@example.org');
  assert.equal(await page.inputValue('#f-password'), '');
  await checkA11y(page, 'sign-up form with errors');
  await shot(page, 'register-form-errors');

  await page.fill('#f-postal_code', '97201');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  const created = await submit('Sign up');
  assert.equal(created.status(), 200);
  assert.equal(await h1(), 'Check your email');
  assert.ok((await page.textContent('main')).includes('zoe@example.org'));
  await checkA11y(page, 'check your email');
  await shot(page, 'register-check-email');

  const link = portico.linkIn(await portico.waitForMail('zoe@example.org'), '/verify-email/');
  await page.goto(link);
  assert.equal(await h1(), 'Confirm your email address');
  assert.ok((await page.textContent('header')).includes('Riverside Clinic'));
  await checkA11y(page, 'confirm email');
  await shot(page, 'verify-email-confirm');
  const confirmed = await submit('Confirm my email address');
  assert.equal(confirmed.status(), 200);
  assert.equal(await h1(), 'Email address confirmed');
  assert.ok((await page.textContent('main')).includes('is now on'));
  await checkA11y(page, 'email confirmed');
  await shot(page, 'verify-email-done');

  const reused = await page.goto(link);
  assert.equal(reused.status(), 410);
  assert.equal(await h1(), 'This link is not valid');
  await shot(page, 'verify-email-invalid');
});

test('an expired or unknown invitation link tells the person whom to call', async () => {
  const key = await practice('hillside-health', 'Hillside Health', '555-0199');
  const max = await patient(key, {
    first_name: 'Max', last_name: 'Kim', date_of_birth: '1970-09-09', email: 'max@example.org',
  });
  const sent = await invite(key, max.id);
  const link = portico.linkIn(await portico.waitForMail('max@example.org'), '/invite/');
  portico.expireInvitation(sent.id);

  const expired = await page.goto(link);
  assert.equal(expired.status(), 410);
  assert.equal(await h1(), 'This invitation link has expired');
  const main = await page.textContent('main');
  assert.ok(main.includes('Please contact Hillside Health on 555-0199'), main);
  assert.equal(await page.getAttribute('main a[href^="tel:"]', 'href'), 'tel:5550199');
  await checkA11y(page, 'expired link');
  await shot(page, 'invite-expired');

  const unknown = await page.goto(`${portico.base}/invite/${'x'.repeat(43)}`);
  assert.equal(unknown.status(), 404);
  assert.equal(await h1(), 'This invitation link is not valid');
  await checkA11y(page, 'unknown link');
  await shot(page, 'invite-invalid');
});

test('a form error keeps what was typed, except the password', async () => {
  const key = await practice('oakwood-clinic', 'Oakwood Clinic', '555-0155');
  const olivia = await patient(key, {
    first_name: 'Olivia', last_name: 'West', date_of_birth: '1988-12-03', email: 'olivia@example.org',
  });
  await invite(key, olivia.id);
  const link = portico.linkIn(await portico.waitForMail('olivia@example.org'), '/invite/');
  await page.goto(link);

  await page.fill('#f-username', 'olivia.w');
  await page.fill('#f-password', 'too short');
  await page.fill('#f-password_confirm', 'too short');
  await fillDate('date_of_birth', '1988-12-03');
  const refused = await submit('Create account');
  assert.equal(refused.status(), 422);
  assert.ok((await page.textContent('.error-summary')).includes('There is a problem'));
  assert.equal(await page.getAttribute('#f-password', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#f-password', 'aria-describedby'), /f-password-error/);
  assert.match(await page.textContent('#f-password-error'), /at least 15 characters/);
  assert.equal(await page.inputValue('#f-username'), 'olivia.w', 'the username is kept');
  assert.equal(await page.inputValue('#f-password'), '', 'the password is not sent back');
  assert.equal(await page.inputValue('#f-password_confirm'), '', 'nor its confirmation');
  assert.equal(await page.inputValue('#f-date_of_birth-year'), '1988', 'the date of birth is kept');
  assert.equal(await page.getAttribute('.error-summary a', 'href'), '#f-password');
  const html = await page.content();
  assert.ok(!html.includes('too short'), 'the typed password appears nowhere in the page');
  await checkA11y(page, 'form with errors');
  await shot(page, 'invite-form-errors-phone');

  // A date of birth that does not match the record says so, next to the date.
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  await fillDate('date_of_birth', '1988-12-04');
  await submit('Create account');
  assert.match(await page.textContent('#f-date_of_birth-error'), /do not match our records/);
  assert.equal(await page.getAttribute('.error-summary a', 'href'), '#f-date_of_birth-day');
  await checkA11y(page, 'date of birth mismatch');
  await shot(page, 'invite-form-dob-mismatch');

  // Empty boxes are asked for by name.
  await page.fill('#f-username', '');
  await fillDate('date_of_birth', '1988-12-03');
  await submit('Create account');
  assert.match(await page.textContent('#f-username-error'), /Choose a username/);
  assert.match(await page.textContent('#f-password-error'), /Choose a password/);

  await page.fill('#f-username', 'olivia.w');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  const done = await submit('Create account');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'You can now log in');
});

test('pages fit a phone (375 px), a small phone (320 px) and a tablet (768 px)', async () => {
  const key = await practice('maple-family-practice', 'Maple Family Practice of the Greater Riverside Area', '+1 (555) 010-0177', {
    self_registration: 'auto_activate',
    required_fields: ['email', 'mobile', 'postal_code'],
  });
  const lee = await patient(key, {
    first_name: 'Lee', last_name: 'Moss', date_of_birth: '1979-01-30', email: 'lee@example.org', mobile: '+15550100177', postal_code: '97201',
  });
  await invite(key, lee.id);
  const link = portico.linkIn(await portico.waitForMail('lee@example.org'), '/invite/');

  for (const [name, size] of [['phone', PHONE], ['small-phone', { width: 320, height: 640 }], ['tablet', TABLET]]) {
    await page.setViewportSize(size);
    await page.goto(link);
    await checkA11y(page, `invitation at ${size.width} px`);
    await shot(page, `layout-invite-${name}`);
    await page.goto(`${portico.base}/register/maple-family-practice`);
    await checkA11y(page, `sign-up at ${size.width} px`);
    await shot(page, `layout-register-${name}`);
  }

  // On a tablet the button sits at its natural width; on a phone it fills the line.
  await page.setViewportSize(TABLET);
  const tabletButton = await page.evaluate(() => document.querySelector('.button').getBoundingClientRect().width);
  await page.setViewportSize(PHONE);
  const phoneButton = await page.evaluate(() => document.querySelector('.button').getBoundingClientRect().width);
  assert.ok(tabletButton < 300, `tablet button ${tabletButton}px`);
  assert.ok(phoneButton > 300, `phone button ${phoneButton}px`);

  await page.setViewportSize(TABLET);
  await page.fill('#f-first_name', 'Robin');
  await page.fill('#f-last_name', 'Hart');
  await fillDate('date_of_birth', '2001-07-04');
  await page.fill('#f-email', 'robin@example.org');
  await page.fill('#f-mobile', '+1 555 010 0188');
  await page.fill('#f-postal_code', '97202');
  await page.fill('#f-username', 'robin.hart');
  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  const done = await submit('Sign up');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'You can log in now');
  await checkA11y(page, 'signed up, auto-activated');
  await shot(page, 'register-done-tablet');
});

test('unknown pages, a closed sign-up and an expired form are explained in plain words', async () => {
  const missing = await page.goto(`${portico.base}/no/such/page`);
  assert.equal(missing.status(), 404);
  assert.equal(await h1(), 'Page not found');
  assert.match(missing.headers()['content-type'], /text\/html/);
  await checkA11y(page, 'not found');
  await shot(page, 'not-found');

  await practice('birch-clinic', 'Birch Clinic', '555-0166');
  await page.goto(`${portico.base}/register/birch-clinic`);
  assert.equal(await h1(), 'Online sign-up is not available');
  assert.ok((await page.textContent('main')).includes('555-0166'));
  await checkA11y(page, 'sign-up closed');
  await shot(page, 'register-closed');

  await practice('cedar-clinic', 'Cedar Clinic', '555-0167', { self_registration: 'auto_activate' });
  await page.goto(`${portico.base}/register/cedar-clinic`);
  await page.fill('#f-first_name', 'Kim');
  // The browser loses its cookies (a new browser session, cleared data): the form is refused.
  await browser.clearCookies();
  const expired = await submit('Sign up');
  assert.equal(expired.status(), 403);
  assert.equal(await h1(), 'Your form expired, please try again');
  assert.equal(await page.getAttribute('main a.button', 'href'), '/register/cedar-clinic');
  const text = await page.textContent('body');
  for (const raw of ['csrf', 'forbidden', '403', 'Error:']) {
    assert.ok(!text.toLowerCase().includes(raw.toLowerCase()), `no raw "${raw}" on the page`);
  }
  await checkA11y(page, 'form expired');
  await shot(page, 'form-expired');
  await Promise.all([page.waitForNavigation(), page.click('main a.button')]);
  assert.equal(await h1(), 'Sign up for the patient portal');
});

/** Ann, registered from an emailed invitation at each practice (one account for all). */
async function annAt(keys, username = 'ann.lee') {
  const patients = [];
  for (const [i, key] of keys.entries()) {
    const email = `${username}@example.org`;
    const p = await patient(key, { first_name: 'Ann', last_name: 'Lee', date_of_birth: '1990-04-01', email });
    await invite(key, p.id);
    const link = portico.linkIn(await portico.waitForMail(email, i + 1), '/invite/');
    await page.goto(i === 0 ? link : `${link}?account=existing`);
    await page.fill('#f-username', username);
    await page.fill('#f-password', PASSWORD);
    if (i === 0) await page.fill('#f-password_confirm', PASSWORD);
    await fillDate('date_of_birth', '1990-04-01');
    const done = await submit(i === 0 ? 'Create account' : 'Link my account');
    assert.equal(done.status(), 200);
    patients.push(p);
  }
  return patients;
}

async function logIn(query, username, password) {
  await page.goto(`${portico.base}/login${query}`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', password);
  return submit('Log in');
}

test('a patient logs in and sees the practice, then logs out', async () => {
  const key = await practice('willow-health', 'Willow Health Centre', '555-0140', {
    contact_email: 'desk@willow.example',
  });
  await annAt([key], 'wendy.ng');

  const form = await page.goto(`${portico.base}/login?practice=willow-health`);
  assert.equal(form.status(), 200);
  assert.equal(await h1(), 'Log in to Willow Health Centre');
  assert.ok((await page.textContent('footer')).includes('555-0140'));
  await checkA11y(page, 'login form');
  await shot(page, 'login-form-phone');
  await checkFocusVisible(page, 'login form');

  await page.fill('#f-username', 'wendy.ng');
  await page.fill('#f-password', 'not my password at all');
  const wrong = await submit('Log in');
  assert.equal(wrong.status(), 401);
  assert.ok((await page.textContent('.alert')).includes('The username or password is not right'));
  assert.equal(await page.inputValue('#f-username'), 'wendy.ng');
  assert.equal(await page.inputValue('#f-password'), '');
  await checkA11y(page, 'login error');
  await shot(page, 'login-error');

  await page.fill('#f-password', PASSWORD);
  const done = await submit('Log in');
  assert.equal(done.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.equal(await h1(), 'Your account');
  const main = await page.textContent('main');
  assert.ok(main.includes('You are logged in to Willow Health Centre.'), main);
  assert.ok(main.includes('Active'));
  const cookie = (await browser.cookies()).find((c) => c.name === 'portico_session');
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Lax', JSON.stringify(cookie));
  await checkA11y(page, 'account');
  await shot(page, 'account-phone');

  const out = await submit('Log out');
  assert.equal(out.status(), 200);
  assert.equal(await h1(), 'You have logged out');
  await checkA11y(page, 'logged out');
  await shot(page, 'logged-out');
  await page.goto(`${portico.base}/account`);
  assert.equal(new URL(page.url()).pathname, '/login', 'the account page asks to log in again');
});

test('a blocked patient sees the message with the phone number while another practice still works', async () => {
  const keyA = await practice('oak-clinic', 'Oak Street Clinic', '+1 (555) 010-0150');
  const keyB = await practice('pine-dental', 'Pine Dental', '555-0151');
  const keyC = await practice('hilltop-eye-care', 'Hilltop Eye Care', '555-0152');
  const [atA] = await annAt([keyA, keyB, keyC], 'bianca.ortiz');
  const [access] = await accessOf(keyA, atA.id);
  await portico.apiOk(keyA, 'POST', `/api/v1/practice/access/${access.id}/block`, { reason: 'Unpaid balance' });

  // Without naming a practice: the chooser lists all three, Oak Street as blocked with its
  // phone. (With only one active practice left, the login would simply go there.)
  await logIn('', 'bianca.ortiz', PASSWORD);
  assert.equal(await h1(), 'Choose a practice');
  const chooser = await page.textContent('main');
  assert.ok(chooser.includes('Oak Street Clinic') && chooser.includes('Blocked'), chooser);
  assert.equal(await page.getAttribute('.choice--blocked a[href^="tel:"]', 'href'), 'tel:+15550100150');
  assert.equal(await page.locator('button:has-text("Oak Street Clinic")').count(), 0);
  await checkA11y(page, 'practice chooser');
  await shot(page, 'login-choose-practice-phone');
  await checkFocusVisible(page, 'practice chooser');
  await page.evaluate(() => document.activeElement?.blur());
  await page.setViewportSize(TABLET);
  await shot(page, 'login-choose-practice-tablet');
  await page.setViewportSize(PHONE);

  // From Oak Street's own login link: the blocked message, and Pine Dental still works.
  await page.context().clearCookies();
  const blocked = await logIn('?practice=oak-clinic', 'bianca.ortiz', PASSWORD);
  assert.equal(blocked.status(), 403);
  assert.equal(await h1(), 'Your portal access to Oak Street Clinic is blocked');
  const text = (await page.textContent('main')).replace(/\s+/g, ' ');
  assert.ok(
    text.includes('Your portal access to Oak Street Clinic is blocked. Please contact the practice on +1 (555) 010-0150.'),
    text,
  );
  assert.equal(await page.getAttribute('.alert a[href^="tel:"]', 'href'), 'tel:+15550100150');
  for (const raw of ['access_blocked', '403', 'Forbidden', 'Unpaid balance']) {
    assert.ok(!text.includes(raw), `no "${raw}" on the blocked page`);
  }
  await checkA11y(page, 'blocked');
  await shot(page, 'login-blocked-phone');
  await checkFocusVisible(page, 'blocked');
  await page.evaluate(() => document.activeElement?.blur());
  for (const [name, size] of [['small-phone', { width: 320, height: 640 }], ['tablet', TABLET]]) {
    await page.setViewportSize(size);
    await checkA11y(page, `blocked at ${size.width} px`);
    await shot(page, `login-blocked-${name}`);
  }
  await page.setViewportSize(PHONE);

  const other = await submit('Pine Dental');
  assert.equal(other.status(), 200);
  assert.equal(await h1(), 'Your account');
  const main = await page.textContent('main');
  assert.ok(main.includes('You are logged in to Pine Dental.'), main);
  assert.ok(main.includes('Oak Street Clinic') && main.includes('Blocked'), 'the account page shows the block');
  await shot(page, 'account-with-blocked-practice');
});

test('an account the practice created changes its temporary password at first login', async () => {
  const key = await practice('elm-practice', 'Elm Practice', '555-0160');
  const cy = await patient(key, {
    first_name: 'Cy', last_name: 'Ray', date_of_birth: '1984-02-11', email: 'cy@example.org',
  });
  const created = await portico.apiOk(key, 'POST', `/api/v1/practice/patients/${cy.id}/accounts`, { username: 'cy.ray' });

  await logIn('?practice=elm-practice', 'cy.ray', created.temporary_password);
  assert.equal(await h1(), 'Choose a new password');
  await checkA11y(page, 'password change');
  await shot(page, 'login-password-change');

  await page.fill('#f-password', 'short');
  await page.fill('#f-password_confirm', 'short');
  const weak = await submit('Save password and continue');
  assert.equal(weak.status(), 422);
  assert.equal(await page.getAttribute('#f-password', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#f-password'), '');
  await checkA11y(page, 'password change error');
  await shot(page, 'login-password-change-error');

  await page.fill('#f-password', PASSWORD);
  await page.fill('#f-password_confirm', PASSWORD);
  const done = await submit('Save password and continue');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'Your account');
  assert.ok((await page.textContent('main')).includes('You are logged in to Elm Practice.'));

  await page.context().clearCookies();
  await logIn('', 'cy.ray', PASSWORD);
  assert.equal(await h1(), 'Your account', 'the new password works');
});

test('a patient resets a forgotten password from the emailed link, then logs in with it', async () => {
  const key = await practice('pine-clinic', 'Pine Clinic', '555-0170');
  await annAt([key], 'rita.ho');
  const NEW_PASSWORD = 'a brand new river stone passphrase';

  await page.goto(`${portico.base}/login`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Forgotten your password?")')]);
  assert.equal(await h1(), 'Reset your password');
  await checkA11y(page, 'reset request');
  await shot(page, 'reset-request');
  await page.fill('#f-identifier', 'rita.ho@example.org');
  const sent = await submit('Send me a link');
  assert.equal(sent.status(), 200);
  assert.equal(await h1(), 'Check your messages');
  await checkA11y(page, 'reset sent');
  await shot(page, 'reset-sent');

  // The invitation was the first email; the reset link is the second.
  const link = portico.linkIn(await portico.waitForMail('rita.ho@example.org', 2), '/reset-password/');
  await page.goto(link);
  assert.equal(await h1(), 'Choose a new password');
  await page.fill('#f-password', NEW_PASSWORD);
  await page.fill('#f-password_confirm', 'something else');
  const mismatch = await submit('Save new password');
  assert.equal(mismatch.status(), 422);
  assert.equal(await page.getAttribute('#f-password_confirm', 'aria-invalid'), 'true');
  await checkA11y(page, 'reset form error');
  await shot(page, 'reset-form-error');
  await page.fill('#f-password', NEW_PASSWORD);
  await page.fill('#f-password_confirm', NEW_PASSWORD);
  const done = await submit('Save new password');
  assert.equal(done.status(), 200);
  assert.equal(await h1(), 'You can log in with your new password');
  await checkA11y(page, 'reset done');
  await shot(page, 'reset-done');

  await logIn('', 'rita.ho', NEW_PASSWORD);
  assert.equal(await h1(), 'Your account', 'the new password works');
  await page.context().clearCookies();
  await page.goto(link);
  assert.equal(await h1(), 'This link does not work any more');
});

test('a practice that requires two-step verification: set up at login, then log in with a code', async () => {
  const key = await practice('aspen-clinic', 'Aspen Clinic', '555-0180', { mfa_required: true });
  await annAt([key], 'tom.yu');

  await logIn('?practice=aspen-clinic', 'tom.yu', PASSWORD);
  assert.equal(await h1(), 'Set up two-step verification');
  assert.ok((await page.textContent('main')).includes('Aspen Clinic asks every patient'));
  const qrWidth = await page.$eval('img.qr', (img) => img.naturalWidth);
  assert.ok(qrWidth > 0, 'the QR code image loads (the page allows data: images)');
  const secret = (await page.textContent('.secret')).trim();
  await checkA11y(page, 'mfa setup');
  await shot(page, 'mfa-setup');

  await page.fill('#f-code', '000000');
  const wrong = await submit('Turn on two-step verification');
  assert.equal(wrong.status(), 401);
  assert.equal(await page.getAttribute('#f-code', 'aria-invalid'), 'true');
  assert.equal((await page.textContent('.secret')).trim(), secret, 'the same key: nothing to scan again');
  await checkA11y(page, 'mfa setup error');

  await page.fill('#f-code', totp(secret));
  const on = await submit('Turn on two-step verification');
  assert.equal(on.status(), 200);
  assert.equal(await h1(), 'Keep your recovery codes');
  const codes = await page.$$eval('ul.codes code', (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 10);
  await checkA11y(page, 'recovery codes');
  await shot(page, 'mfa-recovery-codes');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("I have kept my codes, continue")')]);
  assert.equal(await h1(), 'Your account');

  await page.context().clearCookies();
  await logIn('?practice=aspen-clinic', 'tom.yu', PASSWORD);
  assert.equal(await h1(), 'Enter your code');
  await checkA11y(page, 'mfa code');
  await shot(page, 'mfa-code');
  await page.fill('#f-code', '123456');
  const bad = await submit('Continue');
  assert.equal(bad.status(), 401);
  assert.ok((await page.textContent('#f-code-error')).includes('That code is not right'));
  await checkA11y(page, 'mfa code error');
  // The code of the next 30 seconds (the server accepts one step either side): the code that
  // turned it on may not be used twice.
  await page.fill('#f-code', totp(secret, Date.now() + 30_000));
  const inn = await submit('Continue');
  assert.equal(inn.status(), 200);
  assert.equal(await h1(), 'Your account');

  await page.context().clearCookies();
  await logIn('?practice=aspen-clinic', 'tom.yu', PASSWORD);
  await page.fill('#f-code', codes[0]);
  await submit('Continue');
  assert.equal(await h1(), 'Your account', 'a recovery code works too');
});
