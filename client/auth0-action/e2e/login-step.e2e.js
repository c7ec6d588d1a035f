'use strict';
// The login step end to end, in headless Chromium (Debian's, driven by playwright-core): a login
// at the Auth0 stand-in runs the Action, which asks the real service and redirects to its step;
// a validation error is shown, corrected; the browser returns to /continue, the Action's
// onContinuePostLogin applies the answers. A second user does it without JavaScript and clicks
// "Not now". Screenshots of the form at phone and desktop widths are saved.
//
// Run by the Go test TestLoginStepInChromium (server/internal/loginstep), which starts the
// service and hands this process the stand-in's listening socket as file descriptor 3:
//   PROFILE_SERVICE_URL  the service's HTTP base URL
//   PROFILE_LOGIN_SECRET the secret shared by the service and the Action
//   STANDIN_AUDIENCE     the API identifier the service expects (AUTH0_AUDIENCE)
//   SCREENSHOT_DIR       where to save the screenshots

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const { createStandin } = require('../standin/server');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set; this test is run by TestLoginStepInChromium`);
  }
  return v;
};

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

test('login step in Chromium: error, correction, continue, answers applied', async (t) => {
  const shots = env('SCREENSHOT_DIR');
  const standin = createStandin({
    serviceUrl: env('PROFILE_SERVICE_URL'), secret: env('PROFILE_LOGIN_SECRET'), audience: env('STANDIN_AUDIENCE'),
  });
  await standin.listen(process.env.STANDIN_FD ? { fd: Number(process.env.STANDIN_FD) } : 0);
  t.after(() => standin.close());
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());

  await t.test('Ada answers, with JavaScript', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const page = await context.newPage();
    const csp = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });

    await page.goto(`${standin.url}/authorize?user=${encodeURIComponent('google-oauth2|ada')}`);
    assert.match(page.url(), /\/login\/profile\?session_token=.+&state=/, 'the Action did not redirect to the step');
    const stepUrl = page.url();
    // Her first name came from Google; at her second login the step asks her last name and job title.
    await assert.doesNotReject(page.getByLabel('Last name').waitFor());
    assert.equal(await page.getByLabel('First name').count(), 0);
    await page.screenshot({ path: path.join(shots, 'step-phone.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: path.join(shots, 'step-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);

    // No last name (the form does not stop the submission; the engine refuses it).
    await page.getByLabel('Last name').fill('  ');
    await page.getByLabel('Job title').fill('Analyst');
    await page.getByLabel('Weekly digest').check();
    // Wait for the answer's page itself: a load-state wait can return before the form's
    // navigation has begun, and a screenshot taken during that navigation hangs.
    const error = page.locator('#field-0-error');
    await Promise.all([
      error.waitFor(),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    assert.match(await page.title(), /^Error:/);
    assert.equal(await error.innerText(), 'Last name is required');
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'field-0', 'focus is not on the field in error');
    assert.equal(await page.getByLabel('Last name').getAttribute('aria-describedby'), 'field-0-error');
    assert.equal(await page.getByLabel('Job title').inputValue(), 'Analyst', 'entered value lost');
    assert.ok(await page.getByLabel('Weekly digest').isChecked(), 'ticked topic lost');
    await page.screenshot({ path: path.join(shots, 'step-error-phone.png'), fullPage: true });

    // Corrected: the step posts to /continue, the Action applies the answers, and Auth0 sends
    // the browser on to the application's callback, on another origin (the step's CSP must let
    // that redirect of the form submission through).
    await page.getByLabel('Last name').fill('Lovelace');
    await Promise.all([
      page.waitForURL(/\/callback\?/),
      page.getByRole('button', { name: 'Save and continue' }).click(),
    ]);
    assert.equal(new URL(page.url()).origin, standin.appUrl, 'the login did not end at the application');
    assert.notEqual(standin.appUrl, standin.url);
    const ada = standin.users.get('google-oauth2|ada');
    assert.equal(ada.user_metadata.last_name, 'Lovelace');
    assert.equal(ada.user_metadata.title, 'Analyst');
    assert.equal(ada.user_metadata.theme, 'dark', 'another application\'s key was lost');
    assert.equal(ada.user_metadata.subscribed['weekly-digest'].source, 'login');
    assert.match(await page.locator('#user_metadata').innerText(), /Lovelace/);
    assert.deepEqual(csp, [], 'the browser reported CSP violations');

    // The same link again (a replay): an error page, nothing applied twice.
    const replay = await page.goto(stepUrl);
    assert.equal(replay.status(), 409);
    assert.match(await page.locator('h1').innerText(), /cannot be used/);
    await page.screenshot({ path: path.join(shots, 'step-used-phone.png'), fullPage: true });
    assert.equal(standin.counts.managementApi, 0);
    await context.close();
  });

  await t.test('Grace says "Not now", without JavaScript', async () => {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${standin.url}/authorize?user=${encodeURIComponent('auth0|grace')}&ui_locales=fr`);
    assert.match(page.url(), /\/login\/profile\?/);
    assert.ok(await page.getByLabel('Prénom').isVisible());
    await page.screenshot({ path: path.join(shots, 'step-fr-nojs-phone.png'), fullPage: true });
    // Keyboard only: Tab to "Pas maintenant" and press Enter.
    await page.getByRole('button', { name: 'Pas maintenant' }).focus();
    // Without JavaScript the continue page waits for a click; wait for that page itself (see
    // above) before the screenshot.
    const resume = page.getByRole('button', { name: 'Continuer', exact: true });
    await Promise.all([resume.waitFor(), page.keyboard.press('Enter')]);
    await page.screenshot({ path: path.join(shots, 'continue-nojs-phone.png'), fullPage: true });
    await Promise.all([
      page.waitForURL(/\/callback\?/),
      resume.click(),
    ]);
    assert.equal(new URL(page.url()).origin, standin.appUrl, 'the login did not end at the application');
    const grace = standin.users.get('auth0|grace');
    assert.deepEqual(Object.keys(grace.app_metadata.profiling_declines.fields).sort(), ['first_name', 'last_name']);
    assert.ok(grace.app_metadata.profiling_declines.topics['weekly-digest']);
    assert.deepEqual(grace.user_metadata, {});
    await context.close();

    // Her next login does not ask again what she declined (for 30 days), only what her second
    // login brings: her job title and company.
    const again = await browser.newContext();
    const p2 = await again.newPage();
    await p2.goto(`${standin.url}/authorize?user=${encodeURIComponent('auth0|grace')}`);
    assert.match(p2.url(), /\/login\/profile\?/);
    assert.ok(await p2.getByLabel('Job title').isVisible());
    assert.equal(await p2.getByLabel('First name').count() + await p2.getByLabel('Last name').count() + await p2.getByLabel('Weekly digest').count(), 0, 'declined fields were asked again');
    await again.close();
  });
});
