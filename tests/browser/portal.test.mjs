// Browser tests of Préau: Debian's Chromium, headless, driven by playwright-core (no browser
// download), with axe-core checking every main page for serious or critical WCAG violations.
// Starts `preau demo` on a free port with its own data folder, as a newcomer would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BIN = process.env.PREAU_BIN ?? 'preau';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server, browser, base, dataDir;
const demoOutput = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitReady(url) {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(url + '/readyz')).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('Préau did not become ready:\n' + demoOutput.join(''));
}

/** The password printed by `preau demo` for a login. */
function demoPassword(login) {
  const line = demoOutput.join('').split('\n').find((l) => l.includes(` ${login} `));
  assert.ok(line, `demo login ${login} printed`);
  return line.trim().split(/\s+/).pop();
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'preau-browser-'));
  server = spawn(BIN, ['demo'], { env: { ...process.env, PREAU_LISTEN: `127.0.0.1:${port}`, PREAU_DATA_DIR: dataDir, PREAU_LOG: 'warn' } });
  server.stdout.on('data', (d) => demoOutput.push(d.toString()));
  server.stderr.on('data', (d) => demoOutput.push(d.toString()));
  await waitReady(base);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function newPage(options = {}) {
  // bypassCSP lets the test inject axe-core; Préau's pages themselves run no inline script.
  const context = await browser.newContext({ bypassCSP: true, ...options });
  return context.newPage();
}

/** The TOTP key `preau demo` printed for an admin's second factor. */
function demoTotpKey(login) {
  const m = demoOutput.join('').match(new RegExp(`otpauth://totp/[^:]+:${login.replace('.', '\\.')}\\?secret=([A-Z2-7]+)`));
  assert.ok(m, `TOTP key of ${login} printed`);
  return m[1];
}

/** The current 6-digit code of a base32 key (RFC 6238), as an authenticator app shows it. */
function totp(key) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of key) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const h = createHmac('sha1', bytes).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

/** Remembered-device cookies of admins, so that each new browser context is not asked again. */
const devices = {};
/** Second-factor keys turned on during the tests (the demo prints only the admins'). */
const keys = {};
/** The 30-second step of each login's last code: Préau refuses a code used twice. */
const usedStep = {};

/** A fresh code for a login: waits for the next step when this one's code was used. */
async function freshCode(user, key) {
  const step = Math.floor(Date.now() / 30000);
  if (usedStep[user] === step) await new Promise((r) => setTimeout(r, (step + 1) * 30000 - Date.now() + 250));
  usedStep[user] = Math.floor(Date.now() / 30000);
  return totp(key);
}

async function login(page, user) {
  if (devices[user]) await page.context().addCookies([devices[user]]);
  await page.goto(base + '/');
  await page.getByLabel('Identifiant').fill(user);
  await page.getByLabel('Mot de passe').fill(demoPassword(user));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/(portal|mfa)/);
  if (new URL(page.url()).pathname === '/mfa') {
    await assertAccessible(page, 'the second-factor page');
    await page.getByLabel('Code', { exact: true }).fill(await freshCode(user, keys[user] ?? demoTotpKey(user)));
    await page.getByLabel('Se souvenir de cet appareil pendant 30 jours').check();
    await page.getByRole('button', { name: 'Valider' }).click();
    await page.waitForURL(/\/portal$/);
    devices[user] = (await page.context().cookies()).find((c) => c.name === 'preau_device');
  }
}

async function assertAccessible(page, what) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${what} has no serious or critical accessibility violation`);
}

test('a demo teacher logs in, sees the bouquet, switches school and logs out', async () => {
  const page = await newPage();
  await login(page, 'claire.demo-enseignante');
  await assert.doesNotReject(page.getByRole('link', { name: /Pronote/ }).waitFor());
  const acting = page.locator('.acting');
  const before = await acting.textContent();
  const select = page.getByLabel("Changer d'établissement ou de profil");
  const other = await select.locator('option:not([selected])').first().getAttribute('value');
  await select.selectOption(other);
  await page.getByRole('button', { name: 'Changer' }).click();
  await page.waitForURL(/\/portal$/);
  assert.notEqual(await acting.textContent(), before, 'now acting in the other school');
  await page.getByRole('button', { name: /Se déconnecter/ }).click();
  await page.waitForURL(base + '/');
  await page.goto(base + '/portal');
  assert.equal(new URL(page.url()).pathname, '/', 'the portal is closed after logout');
});

test('an account is activated with the code its admin printed', async () => {
  const admin = await newPage();
  await login(admin, 'alain.demo-admin-local');
  await admin.getByRole('link', { name: 'Administration' }).click();
  await admin.getByRole('link', { name: 'Collège Jules-Verne' }).click();
  await admin.getByLabel('Prénom').fill('Inès');
  await admin.getByLabel('Nom de famille').fill('Nouvelle');
  await admin.locator('#new-profile').selectOption('ELV');
  await admin.getByRole('button', { name: 'Créer' }).first().click();
  const code = (await admin.locator('.code').textContent()).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);

  const pupil = await newPage();
  await pupil.goto(base + '/');
  await pupil.getByRole('link', { name: /Activez votre compte/ }).click();
  await assertAccessible(pupil, 'the activation page');
  await pupil.getByLabel('Identifiant').fill('ines.nouvelle');
  await pupil.getByLabel(/Code d'activation/).fill(code);
  await pupil.getByLabel(/Nouveau mot de passe/).fill('mon-secret-2026');
  await pupil.getByLabel('Confirmez le mot de passe').fill('mon-secret-2026');
  await pupil.getByLabel("J'ai lu et j'accepte la charte d'utilisation").check();
  await pupil.getByRole('button', { name: 'Activer' }).click();
  await pupil.waitForURL(/\/portal$/);
  assert.match(await pupil.locator('h1').textContent(), /Inès Nouvelle/);
});

test('login, activation, portal and admin pages have no serious accessibility violation', async () => {
  const page = await newPage();
  await page.goto(base + '/');
  await assertAccessible(page, 'the login page');
  await page.getByLabel('Identifiant').fill('personne');
  await page.getByLabel('Mot de passe').fill('faux');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await assertAccessible(page, 'the login page with an error');
  await page.goto(base + '/activate');
  await assertAccessible(page, 'the activation page');
  await login(page, 'marc.demo-eleve');
  await assertAccessible(page, 'the parent portal');
  const admin = await newPage();
  await login(admin, 'agnes.demo-admin');
  await admin.goto(base + '/admin');
  await assertAccessible(admin, 'the admin console');
  await admin.getByRole('link', { name: 'Collège Simone-Veil' }).click();
  await assertAccessible(admin, 'a structure in the admin console');
  await admin.goto(base + '/admin/audit');
  await assertAccessible(admin, 'the audit log');
  await admin.goto(base + '/admin/imports');
  await assertAccessible(admin, 'the directory imports page');
});

test('a territory admin follows an uploaded feed to its report, registers a SCIM source and reviews duplicates', async () => {
  const feed = mkdtempSync(join(tmpdir(), 'preau-feed-'));
  execFileSync(BIN, ['demo', '--export-aaf', feed, '--accounts', '4000'], { env: { ...process.env, PREAU_DATA_DIR: join(feed, 'unused') } });
  const files = readdirSync(feed).filter((f) => f.endsWith('.xml')).map((f) => join(feed, f));
  const admin = await newPage();
  await login(admin, 'agnes.demo-admin');
  await admin.goto(base + '/admin/imports');
  await admin.getByLabel('Académie').fill('NAVIGATEUR');
  await admin.getByLabel('Fichiers de l\'extraction').setInputFiles(files);
  await admin.getByRole('button', { name: 'Envoyer' }).click();
  if (/\/admin\/imports\/running\//.test(admin.url())) {
    assert.ok(await admin.locator('progress').count(), 'the running import shows a progress bar');
    await assertAccessible(admin, 'the progress page of an import');
  }
  await admin.waitForURL(/\/admin\/imports\/[0-9a-z-]+$/, { timeout: 120_000 });
  await assertAccessible(admin, 'an import report');
  assert.match(await admin.locator('main').textContent(), /Simulation : rien n/);
  await admin.goto(base + '/admin/login');
  await assertAccessible(admin, 'the login settings page');
  await admin.goto(base + '/admin/scim');
  await assertAccessible(admin, 'the SCIM sources page');
  await admin.getByLabel('Nom', { exact: true }).fill('Annuaire agricole');
  await admin.getByLabel('UAI des établissements').fill('0350047L');
  await admin.getByRole('button', { name: 'Créer la source et son jeton' }).click();
  const token = (await admin.locator('.code').textContent()).trim();
  assert.match(token, /^preau_scim_/);
  const spc = await fetch(base + '/scim/v2/ServiceProviderConfig', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(spc.status, 200, 'the token shown opens the SCIM server');
  await admin.goto(base + '/admin/duplicates');
  await assertAccessible(admin, 'the probable duplicates page');
  rmSync(feed, { recursive: true, force: true });
});

test('a territory admin registers a CAS connector and sees what it receives', async () => {
  const admin = await newPage();
  await login(admin, 'agnes.demo-admin');
  await admin.goto(base + '/admin/connectors/new');
  await assertAccessible(admin, 'the connector form');
  await admin.getByLabel('Nom', { exact: true }).fill('Vie scolaire');
  await admin.getByLabel('Code', { exact: true }).fill('vie-scolaire');
  await admin.getByLabel("Adresse d'accueil du service").fill('https://vs.example.org/');
  await admin.getByLabel('Adresses du service (CAS) ou de retour (OpenID Connect)').fill('https://vs.example.org/ent/');
  await admin.getByLabel('Enseignant', { exact: true }).check();
  await admin.getByLabel('Nom de famille', { exact: true }).check();
  await admin.getByLabel('Nom diffusé pour Nom de famille').fill('nom');
  await admin.getByLabel('Finalité').fill('Absences et notes');
  await admin.getByLabel('Base légale').fill("Mission d'intérêt public");
  await admin.getByRole('button', { name: 'Enregistrer' }).click();
  await admin.waitForURL(/\/admin\/connectors$/);
  await assertAccessible(admin, 'the connectors page');
  const text = await admin.locator('main').textContent();
  assert.match(text, /Vie scolaire/);
  assert.match(text, /Nom de famille → nom/);
});

test('an OpenID Connect client is registered, and a teacher consents to what it receives', async () => {
  const admin = await newPage();
  await login(admin, 'agnes.demo-admin');
  await admin.goto(base + '/admin/connectors/new');
  await admin.getByLabel('Nom', { exact: true }).fill('Manuels numériques');
  await admin.getByLabel('Code', { exact: true }).fill('manuels');
  await admin.getByLabel("Adresse d'accueil du service").fill('https://manuels.example.org/');
  await admin.getByLabel('OpenID Connect', { exact: true }).check();
  await admin.getByLabel('Adresses du service (CAS) ou de retour (OpenID Connect)').fill('https://manuels.example.org/callback');
  await admin.getByLabel('Enseignant', { exact: true }).check();
  await admin.getByLabel('Nom de famille', { exact: true }).check();
  await admin.getByLabel('Finalité').fill('Manuels de la classe');
  await admin.getByLabel('Base légale').fill("Mission d'intérêt public");
  await admin.getByRole('button', { name: 'Enregistrer' }).click();
  await admin.waitForSelector('#client-secret');
  await assertAccessible(admin, 'the page showing the client secret once');
  const clientId = (await admin.locator('#client-id').textContent()).trim();

  const teacher = await newPage();
  await teacher.route('https://manuels.example.org/**', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'client' }));
  await login(teacher, 'claire.demo-enseignante');
  const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://manuels.example.org/callback', scope: 'openid profile', state: 's1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
  await teacher.goto(base + '/oidc/authorize?' + query);
  await assertAccessible(teacher, 'the consent page');
  assert.match(await teacher.locator('main').textContent(), /Nom de famille/);
  await teacher.getByRole('button', { name: 'Autoriser' }).click();
  await teacher.waitForURL(/^https:\/\/manuels\.example\.org\/callback\?code=/);
  assert.match(teacher.url(), /state=s1/);
});

test('a teacher turns on two-step verification from their account', async () => {
  const page = await newPage();
  await login(page, 'claire.demo-enseignante');
  await page.goto(base + '/account');
  await assertAccessible(page, 'the account page');
  await page.getByRole('link', { name: 'Activer la double authentification' }).click();
  await page.waitForURL(/\/mfa\/setup$/);
  await assertAccessible(page, 'the enrolment page with its QR code');
  const key = (await page.locator('#mfa-secret').textContent()).replace(/\s/g, '');
  keys['claire.demo-enseignante'] = key;
  await page.getByLabel('Code', { exact: true }).fill(await freshCode('claire.demo-enseignante', key));
  await page.getByRole('button', { name: 'Activer' }).click();
  await page.waitForSelector('#recovery-codes');
  await assertAccessible(page, 'the recovery codes page');
  assert.equal(await page.locator('#recovery-codes li').count(), 10);
});

test('the portal fits a phone screen and works with the keyboard', async () => {
  const page = await newPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await page.goto(base + '/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu', 'the first Tab reaches the skip link');
  await page.getByLabel('Identifiant').focus();
  await page.keyboard.type('marc.demo-eleve');
  await page.keyboard.press('Tab');
  await page.keyboard.type(demoPassword('marc.demo-eleve'));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/portal$/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  const children = await page.locator('.children li').allTextContents();
  assert.equal(children.length, 2, 'the parent sees their two children');
});

test('the head writes to the parents of a class with the keyboard, and a parent reads and answers', async () => {
  // (Claire, the demo teacher, turned on two-step verification in an earlier test.)
  const page = await newPage();
  await login(page, 'helene.demo-principale');
  await page.getByRole('link', { name: 'Messagerie' }).first().click();
  await page.getByRole('link', { name: 'Nouveau message' }).click();
  await assertAccessible(page, 'the compose page');
  await page.getByLabel('Rechercher un destinataire').fill('4B');
  await page.getByLabel('Rechercher un destinataire').press('Enter');
  await page.getByLabel('Parents — 4B').check();
  await page.getByRole('button', { name: 'Ajouter les destinataires cochés' }).click();
  await assertAccessible(page, 'the compose page with recipients');
  await page.getByLabel('Objet').fill('Sortie au musée');
  await page.getByLabel('Message', { exact: true }).fill('Départ jeudi à 8 h.');
  await page.getByLabel('Joindre des fichiers').setInputFiles({ name: 'programme.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 Programme de la sortie') });
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await page.waitForURL(/\/messages\?done=sent$/);
  await assertAccessible(page, 'the messages page');

  const parent = await newPage();
  await login(parent, 'marc.demo-eleve');
  assert.match(await parent.locator('.inbox-line').textContent(), /1 non lus/);
  await parent.getByRole('link', { name: 'Messagerie' }).first().click();
  await parent.getByRole('link', { name: /Sortie au musée/ }).click();
  await assertAccessible(parent, 'a message');
  assert.match(await parent.locator('article.message').textContent(), /Départ jeudi à 8 h\./);
  // The attached file is listed and comes as a download of what was sent.
  const file = parent.getByRole('link', { name: /programme\.pdf/ });
  const got = await parent.context().request.get(base + await file.getAttribute('href'));
  assert.equal(got.status(), 200);
  assert.match(got.headers()['content-disposition'], /^attachment; filename="programme\.pdf"/);
  assert.equal(await got.text(), '%PDF-1.4 Programme de la sortie');
  await parent.getByRole('link', { name: 'Répondre', exact: true }).click();
  await parent.getByLabel('Message', { exact: true }).press('Control+Home');
  await parent.getByLabel('Message', { exact: true }).pressSequentially('Lucie viendra.');
  await parent.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await parent.waitForURL(/done=sent/);
  await page.goto(base + '/messages');
  await page.getByRole('link', { name: /Re: Sortie au musée/ }).click();
  assert.match(await page.locator('article.message.current').textContent(), /Lucie viendra\./);
});

test('a message appears live on the open inbox of its recipient, who chose no quiet hours', async () => {
  const parent = await newPage();
  await login(parent, 'marc.demo-eleve');
  await parent.getByRole('link', { name: 'Notifications' }).first().click();
  await assertAccessible(parent, 'the notifications page');
  await parent.getByLabel('Les miennes').check();
  await parent.getByLabel('De', { exact: true }).fill('00:00');
  await parent.getByLabel('À', { exact: true }).fill('00:00');
  for (const day of await parent.getByRole('group', { name: 'Jours entiers sans envoi' }).getByRole('checkbox').all()) await day.uncheck();
  await parent.getByRole('button', { name: 'Enregistrer' }).click();
  assert.match(await parent.locator('.notice').textContent(), /Préférences enregistrées/);
  await parent.goto(base + '/messages');

  const teacher = await newPage();
  await login(teacher, 'karim.demo-cpe');
  await teacher.goto(base + '/messages/new');
  await teacher.getByLabel('Rechercher un destinataire').fill('Marc');
  await teacher.getByRole('button', { name: 'Rechercher' }).click();
  await teacher.getByLabel('Marc Demo-Eleve').check();
  await teacher.getByRole('button', { name: 'Ajouter les destinataires cochés' }).click();
  await teacher.getByLabel('Objet').fill('En direct du collège');
  await teacher.getByLabel('Message', { exact: true }).fill('Bonjour.');
  await teacher.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await teacher.waitForURL(/done=sent/);

  // No reload: the inbox list and the live region show it.
  await parent.locator('ul.messages').getByRole('link', { name: /En direct du collège/ }).waitFor({ timeout: 10000 });
  assert.match(await parent.locator('#live').textContent(), /Karim Demo-Cpe : En direct du collège/);
});

test('documents: a file shared from one space reaches its pupil, and an uploaded web page never runs', async () => {
  const page = await newPage({ acceptDownloads: true });
  await login(page, 'karim.demo-cpe');
  await page.getByRole('link', { name: 'Documents' }).first().click();
  await page.waitForURL(/\/documents\/spaces\/person:/);
  await assertAccessible(page, 'an empty documents space');
  const attack = '<html><body><script>alert("pwned")</script>Bonjour</body></html>';
  await page.getByLabel('Fichiers à déposer').setInputFiles([
    { name: 'page.html', mimeType: 'text/html', buffer: Buffer.from(attack) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Réunion jeudi') },
  ]);
  await page.getByRole('button', { name: 'Déposer', exact: true }).click();
  await page.waitForURL(/done=uploaded/);
  await page.getByLabel('Nouveau dossier').fill('Vie scolaire');
  await page.getByRole('button', { name: 'Créer' }).click();
  await page.waitForURL(/done=folder/);
  await assertAccessible(page, 'a documents space with files and a folder');

  // Opening the uploaded page downloads it, even asked inline: the browser never renders it in
  // Préau's origin, so no script of it can run there.
  await page.getByRole('link', { name: 'page.html', exact: true }).click();
  await assertAccessible(page, "a file's page");
  const href = await page.getByRole('link', { name: 'Télécharger', exact: true }).getAttribute('href');
  const [download] = await Promise.all([page.waitForEvent('download'), page.goto(base + href + '?inline=1').catch(() => {})]);
  assert.equal(download.suggestedFilename(), 'page.html');
  assert.equal(new URL(page.url()).pathname, href.replace('/download', ''), 'the file page stayed; nothing was rendered');
  await page.goto(base + href.replace('/download', ''));

  // Shared with a pupil of the school, who finds it under "Partagés avec moi".
  await page.getByLabel('Partager avec (nom, classe, groupe)').fill('Lucie');
  await page.getByLabel('Partager avec (nom, classe, groupe)').press('Enter');
  await page.getByLabel('Lucie Demo-Eleve').check();
  await page.getByLabel('Droit').selectOption('read');
  await assertAccessible(page, 'the share form');
  await page.getByRole('button', { name: 'Partager', exact: true }).click();
  await page.waitForURL(/done=shared/);
  assert.match(await page.locator('#shares-title + ul').textContent(), /Lucie Demo-Eleve · Lecture/);

  const pupil = await newPage();
  await login(pupil, 'lucie.demo-eleve');
  await pupil.goto(base + '/documents/shared');
  await assertAccessible(pupil, 'documents shared with a pupil');
  await assert.doesNotReject(pupil.getByRole('link', { name: 'page.html' }).waitFor());
  await pupil.goto(base + '/documents/trash');
  await assertAccessible(pupil, 'the documents trash');
});

test('timetable: a parent on a phone reads a child\'s week, and a pupil makes a calendar address', async () => {
  const page = await newPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await login(page, 'marc.demo-eleve');
  await page.getByRole('link', { name: 'Emploi du temps' }).click();
  await page.getByRole('navigation', { name: 'Mes enfants' }).getByRole('link', { name: /Lucie/ }).click();
  await page.waitForURL(/person=/);
  // A week of lessons whatever today is: early October of the school year under way (the demo's
  // courses cover it), then the week after it.
  const now = new Date();
  const year = now.getMonth() >= 7 ? now.getFullYear() : now.getFullYear() - 1;
  await page.goto(page.url().replace(/week=[0-9-]+/, `week=${year}-09-28`));
  await page.getByRole('link', { name: 'Semaine suivante →' }).click();
  await page.waitForURL(new RegExp(`week=${year}-10-0[1-9]`));
  const lessons = await page.locator('.lesson').count();
  assert.ok(lessons > 5, `the child's week has lessons (${lessons})`);
  assert.match(await page.locator('h1').textContent(), /Lucie Demo-Eleve/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await assertAccessible(page, 'the week page');
  await page.locator('section.day h2 a').first().click();
  await page.waitForURL(/day=/);
  assert.ok(await page.getByRole('link', { name: 'Jour suivant →' }).count(), 'the day view moves from day to day');
  await assertAccessible(page, 'the day view');

  // (The demo teacher turned on two-step verification in an earlier test: a pupil here.)
  const pupil = await newPage();
  await login(pupil, 'lucie.demo-eleve');
  await pupil.goto(base + '/timetable');
  await pupil.getByRole('button', { name: 'Créer mon adresse d\'abonnement' }).click();
  const url = await pupil.getByLabel('Adresse d\'abonnement').inputValue();
  assert.match(url, /\/ics\/[A-Za-z0-9_-]{20,}$/);
  const feed = await pupil.request.get(url.replace(/^https?:\/\/[^/]+/, base));
  assert.equal(feed.status(), 200);
  // Her feed (its events depend on today: none in the summer).
  assert.match(await feed.text(), /X-WR-CALNAME:Emploi du temps — Lucie Demo-Eleve/);
  await assertAccessible(pupil, 'the week page with a new calendar address');
});

test('timetable: the school\'s manager changes a course\'s room by hand, with the keyboard', async () => {
  const admin = await newPage();
  await login(admin, 'alain.demo-admin-local');
  await admin.goto(base + '/timetable');
  await admin.getByRole('link', { name: /Gérer l'emploi du temps de/ }).first().click();
  await admin.waitForURL(/\/timetable\/courses\//);
  await assertAccessible(admin, 'the courses of a school');
  const first = admin.locator('tbody th[scope=row] a').first();
  await first.focus();
  await admin.keyboard.press('Enter');
  await admin.waitForURL(/\/timetable\/course\//);
  await assertAccessible(admin, 'a course\'s form');
  await admin.getByLabel('Salle').fill('B99');
  await admin.getByRole('button', { name: 'Enregistrer le cours' }).click();
  await admin.waitForURL(/done=saved/);
  assert.match(await admin.locator('p.notice').textContent(), /Cours enregistré/);
  assert.match(await admin.locator('tbody').textContent(), /B99/);
  await admin.getByRole('link', { name: 'Ajouter un cours' }).click();
  await admin.getByRole('button', { name: 'Enregistrer le cours' }).waitFor();
  await assertAccessible(admin, 'the form of a new course');
  await admin.getByRole('link', { name: '← Tous les cours' }).click();
  await admin.getByRole('link', { name: 'Calendrier de l\'établissement' }).click();
  await admin.getByRole('heading', { name: /Vacances|Jours sans cours/ }).first().waitFor();
  await assertAccessible(admin, 'the school calendar');
  const now = new Date();
  const year = now.getMonth() >= 7 ? now.getFullYear() : now.getFullYear() - 1;
  await admin.getByLabel('Libellé').fill('Journée pédagogique');
  await admin.getByLabel('Premier jour sans cours').fill(`${year + 1}-03-19`);
  await admin.getByLabel('Dernier jour sans cours').fill(`${year + 1}-03-19`);
  await admin.getByRole('button', { name: 'Ajouter ces jours sans cours' }).click();
  await admin.waitForURL(/saved=1/);
  assert.match(await admin.locator('#days-off-title').locator('..').textContent(), /Journée pédagogique/);
  await assertAccessible(admin, 'the school calendar with a day off');
});

test('cahier de textes: a teacher writes up a lesson with homework, and a pupil reads it and ticks it done', async () => {
  // A school week whatever today is: early October of the school year under way.
  const now = new Date();
  const year = now.getMonth() >= 7 ? now.getFullYear() : now.getFullYear() - 1;
  const teacher = await newPage();
  await login(teacher, 'claire.demo-enseignante');
  await teacher.getByRole('link', { name: 'Cahier de textes' }).first().click();
  await teacher.goto(base + `/cahier?week=${year}-10-05`);
  await assertAccessible(teacher, "a teacher's lessons to write up");
  await teacher.getByRole('link', { name: / · 4B$/ }).first().click();
  await teacher.waitForURL(/\/cahier\/lesson\//);
  const lessonDate = teacher.url().split('/').pop();
  await teacher.getByLabel('Titre').fill('Les fractions');
  await teacher.getByLabel('Contenu', { exact: true }).fill('Addition de fractions.\nVoir https://fr.wikipedia.org/wiki/Fraction_(math%C3%A9matiques)');
  await teacher.getByRole('button', { name: 'Enregistrer la séance' }).click();
  await teacher.waitForURL(/done=saved/);
  const due = await teacher.getByLabel('À faire pour le').inputValue();
  assert.ok(due > lessonDate, `homework is for a later lesson by default (${due} after ${lessonDate})`);
  await teacher.getByLabel('Consignes', { exact: true }).fill('Exercices 5 et 6 page 48');
  // The toolbar: the whole instructions in bold.
  await teacher.getByLabel('Consignes', { exact: true }).press('Control+A');
  const toolbar = teacher.getByRole('toolbar', { name: 'Mise en forme : Consignes' });
  await toolbar.getByRole('button', { name: 'Gras' }).click();
  assert.equal(await toolbar.getByRole('button', { name: 'Gras' }).getAttribute('aria-pressed'), 'true');
  await teacher.getByLabel('Durée estimée (minutes)').fill('30');
  await teacher.getByRole('button', { name: 'Donner ce travail' }).click();
  await teacher.waitForURL(/done=saved/);
  assert.match(await teacher.locator('#workload-title + table').textContent(), /30/);
  await assertAccessible(teacher, 'a lesson written up, with its homework and the workload');

  const pupil = await newPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await login(pupil, 'lucie.demo-eleve');
  await pupil.goto(base + `/cahier?from=${lessonDate}`);
  const item = pupil.locator('.homework', { hasText: 'Exercices 5 et 6 page 48' });
  await item.waitFor();
  assert.equal(await item.locator('.rich b, .rich strong').first().textContent(), 'Exercices 5 et 6 page 48', 'the bold set with the toolbar reaches the pupil');
  await item.getByRole('button', { name: /Marquer comme fait/ }).click();
  await pupil.goto(base + `/cahier?from=${lessonDate}`);
  assert.equal(await pupil.locator('.homework', { hasText: 'Exercices 5 et 6 page 48' }).getByRole('button').getAttribute('aria-pressed'), 'true');
  const overflow = await pupil.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await assertAccessible(pupil, "a pupil's homework");
  await pupil.getByRole('link', { name: 'Contenu des séances' }).click();
  await pupil.locator('#log-title').waitFor();
  assert.match(await pupil.locator('#log-title').locator('..').textContent(), /Les fractions/);
  assert.equal(await pupil.locator('#log-title').locator('..').getByRole('link', { name: /wikipedia\.org/ }).count(), 1, 'the address typed became a link');
  await assertAccessible(pupil, 'what was done in class, by subject');
});
