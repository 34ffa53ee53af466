// An accessibility smoke check run inside the page: the structure WCAG 2.1 AA relies on
// (language, title, one h1, labels, error messages tied to their fields, unique ids) and the
// contrast of the colours actually rendered, computed from the page's own styles.

import assert from 'node:assert/strict';

/** Runs in the browser; returns a list of problems and the contrast ratios it measured. */
function audit() {
  const problems = [];
  const doc = document;
  if (!doc.documentElement.lang) problems.push('<html> has no lang');
  if (!doc.title.trim()) problems.push('the page has no title');
  const h1 = doc.querySelectorAll('h1');
  if (h1.length !== 1) problems.push(`${h1.length} h1 elements (want exactly one)`);
  if (!doc.querySelector('main')) problems.push('no <main> landmark');

  const ids = new Map();
  for (const el of doc.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) problems.push(`id ${id} used ${n} times`);

  for (const el of doc.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const label = el.id ? doc.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
    const text = (label?.textContent ?? el.getAttribute('aria-label') ?? '').trim();
    if (!text && !el.getAttribute('aria-labelledby')) problems.push(`input ${el.name} has no label`);
    if (el.getAttribute('aria-invalid') === 'true') {
      const owner = el.closest('fieldset[aria-describedby]') ?? el;
      const described = (owner.getAttribute('aria-describedby') ?? '').split(/\s+/);
      if (!described.some((id) => doc.getElementById(id)?.classList.contains('error-message'))) {
        problems.push(`invalid input ${el.name} is not described by its error message`);
      }
    }
  }
  for (const el of doc.querySelectorAll('[aria-describedby]')) {
    for (const id of el.getAttribute('aria-describedby').split(/\s+/).filter(Boolean)) {
      if (!doc.getElementById(id)) problems.push(`aria-describedby points to missing #${id}`);
    }
  }
  for (const el of doc.querySelectorAll('button, a')) {
    if (!el.textContent.trim() && !el.getAttribute('aria-label')) problems.push(`a ${el.tagName} has no text`);
  }
  for (const a of doc.querySelectorAll('.error-summary a')) {
    if (!doc.getElementById(a.getAttribute('href').slice(1))) problems.push(`error summary links to missing ${a.getAttribute('href')}`);
  }
  if (doc.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page scrolls sideways: ${doc.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }

  const rgb = (s) => {
    const m = s.match(/rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+))?\)/);
    return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : null;
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const contrast = {};
  for (const [what, selector] of [
    ['body text', 'main h1'],
    ['lead text', 'main p'],
    ['hint', '.hint'],
    ['link', 'main a:not(.button), footer a'],
    ['button', '.button'],
    ['header', '.site-header__practice'],
    ['footer', '.site-footer'],
    ['error message', '.error-message'],
    ['error summary link', '.error-summary a'],
    ['alert', '.alert p'],
  ]) {
    const el = doc.querySelector(selector);
    if (!el) continue;
    const fg = rgb(getComputedStyle(el).color);
    const r = ratio(fg, background(el));
    contrast[what] = Math.round(r * 100) / 100;
    if (r < 4.5) problems.push(`${what} contrast ${r.toFixed(2)}:1 is below 4.5:1`);
  }
  for (const input of doc.querySelectorAll('input[type=text], input[type=password], input[type=email], input[type=tel]')) {
    const r = ratio(rgb(getComputedStyle(input).borderTopColor), background(input.parentElement));
    if (r < 3) problems.push(`input ${input.name} border contrast ${r.toFixed(2)}:1 is below 3:1`);
  }
  return { problems, contrast };
}

/** Fails the test with every accessibility problem found on the page. */
export async function checkA11y(page, label) {
  const { problems, contrast } = await page.evaluate(audit);
  assert.deepEqual(problems, [], `${label}: accessibility problems (contrast measured: ${JSON.stringify(contrast)})`);
  return contrast;
}

/** Tabs to the first input or button and checks that focus is visible on it. */
export async function checkFocusVisible(page, label) {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || !['INPUT', 'BUTTON'].includes(el.tagName)) return null;
      const s = getComputedStyle(el);
      return { name: el.name || el.textContent.trim(), outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, shadow: s.boxShadow !== 'none' };
    });
    if (focus) {
      assert.ok(focus.outline || focus.shadow, `${label}: focus on ${focus.name} is not visible`);
      return focus;
    }
  }
  assert.fail(`${label}: Tab never reached an input or a button`);
}
