// node-oidc-provider configured like Portico's OpenID Connect provider, for `bench/run.sh --peer`.
//
// Two confidential clients, `bench` (RS256 ID tokens, Portico's default) and `bench-ed` (EdDSA),
// refresh-token rotation, opaque access tokens, and an unbounded in-memory Map adapter (the
// bundled development adapter is an LRU of 1,000 entries and is O(n²) when seeding, see
// /work/shared/PERFORMANCE.md §3.1). One grant per refresh-token family, as Portico has one
// session per family.
//
// Environment: PORT, OUT (folder for the token files), SEED (refresh tokens for `bench`),
// SEED_ED (for `bench-ed`), SECRET (both clients' secret). Writes OUT/refresh_tokens.txt,
// OUT/refresh_tokens_ed.txt and OUT/access_token.txt (an opaque access token for userinfo and
// introspection), then prints "listening".
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT || 3001);
const OUT = process.env.OUT || '.';
const SEED = Number(process.env.SEED || 1000);
const SEED_ED = Number(process.env.SEED_ED || 0);
const SECRET = process.env.SECRET || 'bench-secret-0123456789-0123456789';
const ISSUER = `http://127.0.0.1:${PORT}`;

const jwk = (key, kid, alg) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ed = crypto.generateKeyPairSync('ed25519').privateKey;

const stores = new Map();
class MapAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.s = stores.get(name);
  }
  async upsert(id, payload) { this.s.set(id, payload); }
  async find(id) { return this.s.get(id); }
  async findByUserCode() { return undefined; }
  async findByUid(uid) { for (const v of this.s.values()) if (v.uid === uid) return v; return undefined; }
  async consume(id) { const v = this.s.get(id); if (v) v.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.s.delete(id); }
  async revokeByGrantId(grantId) {
    for (const st of stores.values()) for (const [k, v] of st) if (v.grantId === grantId) st.delete(k);
  }
}

const client = (id, alg) => ({
  client_id: id,
  client_secret: SECRET,
  grant_types: ['refresh_token', 'authorization_code'],
  response_types: ['code'],
  redirect_uris: ['https://rp.example/cb'],
  id_token_signed_response_alg: alg,
  scope: 'openid offline_access profile email',
});

const provider = new Provider(ISSUER, {
  adapter: MapAdapter,
  clients: [client('bench', 'RS256'), client('bench-ed', 'EdDSA')],
  jwks: { keys: [jwk(rsa, 'rs1', 'RS256'), jwk(ed, 'ed1', 'EdDSA')] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: 'Bench User' }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  rotateRefreshToken: true,
  ttl: { AccessToken: 3600, IdToken: 3600, RefreshToken: 86400 * 14, Grant: 86400 * 30 },
});

const SCOPE = 'openid offline_access profile email';
const authTime = Math.floor(Date.now() / 1000);
const mkGrant = async (clientId) => {
  const g = new provider.Grant({ accountId: 'acc1', clientId });
  g.addOIDCScope(SCOPE);
  return g.save();
};

// One refresh token (and its grant) made through the provider's models; the others are copies
// of their stored payloads with fresh ids, so a million are seeded in seconds rather than the
// ~6 minutes the models take. Token values of the opaque format are the stored ids.
async function seed(clientId, n) {
  const c = await provider.Client.find(clientId);
  const grantId = await mkGrant(clientId);
  const first = await new provider.RefreshToken({
    accountId: 'acc1', client: c, grantId, scope: SCOPE, gty: 'authorization_code', authTime,
    expiresWithSession: false,
  }).save();
  const grants = stores.get('Grant');
  const tokens = stores.get('RefreshToken');
  const grant = grants.get(grantId);
  const token = tokens.get(first);
  const out = [first];
  for (let i = 1; i < n; i += 1) {
    const g = crypto.randomBytes(32).toString('base64url');
    const t = crypto.randomBytes(32).toString('base64url');
    grants.set(g, { ...grant, jti: g, openid: { ...grant.openid } });
    tokens.set(t, { ...token, jti: t, grantId: g });
    out.push(t);
  }
  return out;
}

fs.writeFileSync(`${OUT}/refresh_tokens.txt`, `${(await seed('bench', SEED)).join('\n')}\n`);
fs.writeFileSync(`${OUT}/refresh_tokens_ed.txt`, `${(await seed('bench-ed', Math.max(SEED_ED, 1))).join('\n')}\n`);
const c = await provider.Client.find('bench');
fs.writeFileSync(`${OUT}/access_token.txt`, await new provider.AccessToken({
  accountId: 'acc1', client: c, grantId: await mkGrant('bench'), scope: 'openid email profile',
  gty: 'authorization_code', expiresWithSession: false,
}).save());
if (global.gc) global.gc();
http.createServer(provider.callback()).listen(PORT, '127.0.0.1', () => console.log(`listening ${ISSUER}`));
