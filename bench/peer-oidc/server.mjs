// The peer of Préau's OpenID Connect benchmark: the npm `oidc-provider` (panva), with one
// confidential client like the one the benchmark registers in Préau — code flow, PKCE S256,
// ES256 ID tokens, client_secret_basic, the same two released claims — its in-memory adapter
// (Préau also keeps codes and access tokens in memory) and an already-granted consent.
// The person "logs in" through an interaction that needs no password (no login is measured).
// Once listening it signs in once and prints `COOKIE <cookies>` and `TOKEN <access token>`
// for the benchmark, then serves until killed.
//
// Usage: node server.mjs PORT
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';
import { createHash, randomBytes } from 'node:crypto';

const port = Number(process.argv[2] ?? 18800);
const issuer = `http://127.0.0.1:${port}`;
const REDIRECT = 'https://rp.example.org/callback';
const SECRET = 'bench-secret-of-the-peer-client-0123456789';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: SECRET,
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    token_endpoint_auth_method: 'client_secret_basic',
    introspection_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false }, introspection: { enabled: true } },
  claims: { openid: ['sub'], profile: ['family_name', 'given_name'] },
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, family_name: 'Dupont', given_name: 'Claire' }) }),
  // The territory pre-approved the client: the grant exists without a consent screen.
  loadExistingGrant: async (ctx) => {
    const id = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    grant.addOIDCClaims(['family_name', 'given_name']);
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Préau's lifetimes.
  ttl: { AuthorizationCode: 60, AccessToken: 900, IdToken: 600, Interaction: 1800, Session: 12 * 3600, Grant: 14 * 24 * 3600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/interaction/')) {
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'claire.demo-enseignante' } }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});

await new Promise((resolve) => provider.listen(port, '127.0.0.1', resolve));

// One sign-in, following redirects by hand with a cookie jar.
const jar = new Map();
const keep = (r) => r.headers.getSetCookie().forEach((c) => { const [kv] = c.split(';'); const [k, v] = kv.split('='); if (v) jar.set(k, v); else jar.delete(k); });
const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const verifier = 'a-code-verifier-of-forty-three-characters-at-least-0123';
const challenge = createHash('sha256').update(verifier).digest('base64url');
let url = `${issuer}/auth?response_type=code&client_id=bench&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid%20profile&code_challenge=${challenge}&code_challenge_method=S256&nonce=n`;
let code;
for (let i = 0; i < 10 && !code; i++) {
  const r = await fetch(url, { redirect: 'manual', headers: { cookie: cookie() } });
  keep(r);
  const to = new URL(r.headers.get('location'), issuer);
  if (to.href.startsWith(REDIRECT)) code = to.searchParams.get('code');
  url = to.href;
}
const basic = 'Basic ' + Buffer.from(`bench:${SECRET}`).toString('base64');
const t = await fetch(`${issuer}/token`, {
  method: 'POST',
  headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
});
const tokens = await t.json();
if (!tokens.access_token) throw new Error('peer sign-in failed: ' + JSON.stringify(tokens));
console.log(`COOKIE ${cookie()}`);
console.log(`TOKEN ${tokens.access_token}`);
