/**
 * Fixtures of the vendor families: each token is generated from the vendor's format (prefix, alphabet, length)
 * at run time, so no literal credential sits in this file; near-misses break one property at a time (length,
 * alphabet, missing vendor context, repeated or placeholder body).
 */
import { ALNUM, B64, DIGITS, HEX, LOWER, UPPER, cat, rand } from '../fakes.js';
import { shannonEntropy } from '../../../src/scan/entropy.js';

export interface Case {
  rule: string;
  find: () => { text: string; secret?: string; file?: string }[];
  miss: () => { text: string; file?: string }[];
}

const URL64 = `${ALNUM}_-`;
const uuid = (): string => `${rand(HEX, 8)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 4)}-${rand(HEX, 12)}`;
/** Alphanumerics drawn uniformly, as vendors draw them: no digit in one 24-character token in 68, no capital in one in 470,000. */
const mixed = (n: number): string => rand(ALNUM, n);
const letters = (n: number): string => {
  for (;;) {
    const s = rand(UPPER + LOWER, n);
    if (/[A-Z]/.test(s) && /[a-z]/.test(s)) return s;
  }
};

/**
 * A value from `make` whose Shannon entropy falls in [lo, hi): the low tail of the vendor's own distribution
 * (20 random hex digits measure under 3.0 bits about one time in 25), drawn honestly rather than written down.
 */
const lowTail = (make: () => string, lo: number, hi: number): string => {
  for (;;) {
    const s = make();
    const e = shannonEntropy(s);
    if (e >= lo && e < hi) return s;
  }
};

/** A token family: generated tokens found in assignments and JSON; near-misses never. */
function token(rule: string, make: () => string, miss: () => string[], extra: (t: string) => string[] = () => []): Case {
  return {
    rule,
    find: () => {
      const t = make();
      const u = make();
      return [
        { text: `SERVICE_CREDENTIAL=${t}`, secret: t },
        { text: `{"credential": "${u}", "region": "eu"}`, secret: u },
        ...extra(t).map((text) => ({ text, secret: t })),
      ];
    },
    miss: () => miss().map((text) => ({ text })),
  };
}

/** A context family: the value is reported only after a name that says whose it is. */
function context(rule: string, names: string[], make: () => string, miss: (v: string) => string[]): Case {
  return {
    rule,
    find: () =>
      names.map((n, i) => {
        const v = make();
        const text = i % 3 === 0 ? `${n}=${v}` : i % 3 === 1 ? `  ${n}: "${v}"` : `{"${n}": "${v}"}`;
        return { text, secret: v };
      }),
    miss: () => {
      const v = make();
      return [`config_value = "${v}"`, `${names[0]}=`, ...miss(v)].map((text) => ({ text }));
    },
  };
}

export const FAMILY_CASES: Case[] = [
  // --- AI providers
  token(
    'openai-api-key',
    () => cat('sk-', 'proj-', rand(URL64, 74), 'T3Blbk', 'FJ', rand(URL64, 74)),
    () => [cat('sk-', 'proj-', rand(URL64, 10), 'T3Blbk', 'FJ', rand(URL64, 10)), cat('sk-', 'proj-', '...'), cat('sk-', 'proj-', 'x'.repeat(160))],
  ),
  {
    rule: 'openai-api-key',
    find: () => {
      const a = cat('sk-', 'admin-', rand(URL64, 58), 'T3Blbk', 'FJ', rand(URL64, 58));
      const b = cat('sk-', rand(ALNUM, 20), 'T3Blbk', 'FJ', rand(ALNUM, 20));
      const c = cat('sk-', 'svcacct-', rand(URL64, 120));
      return [{ text: `OPENAI_ADMIN_KEY=${a}`, secret: a }, { text: `openai.api_key = '${b}'`, secret: b }, { text: `key: ${c}`, secret: c }];
    },
    miss: () => [{ text: cat('sk-', rand(ALNUM, 20), 'T3Blbk', 'FJ', rand(ALNUM, 19)) }, { text: cat('sk-', 'admin-', rand(URL64, 40)) }],
  },
  token(
    'anthropic-api-key',
    () => cat('sk-', 'ant-', 'api03-', rand(URL64, 93), 'AA'),
    () => [cat('sk-', 'ant-', 'api03-', rand(URL64, 40), 'AA'), cat('sk-', 'ant-', 'api03-', rand(URL64, 93), 'BB'), cat('sk-', 'ant-', 'api03-', '*'.repeat(95))],
  ),
  {
    rule: 'anthropic-api-key',
    find: () => {
      const a = cat('sk-', 'ant-', 'admin01-', rand(URL64, 93), 'AA');
      return [{ text: `ANTHROPIC_ADMIN_KEY=${a}`, secret: a }];
    },
    miss: () => [{ text: cat('sk-', 'ant-', 'admin01-', 'YOUR_KEY_HERE') }],
  },
  token('huggingface-token', () => cat('hf', '_', letters(34)), () => [cat('hf', '_', letters(20)), cat('hf', '_', rand(LOWER, 34)), cat('hf', '_', letters(30), '1234')]),
  {
    rule: 'huggingface-token',
    find: () => {
      const a = cat('hf', '_', letters(34));
      const b = cat('hf', '_', letters(34));
      return [
        { text: `from huggingface_hub import login\nlogin(token="${a}")`, secret: a, file: 'train.py' },
        { text: `huggingface-cli login --token ${b}`, secret: b, file: 'README.md' },
        { text: `{"cells": [{"source": ["HF_TOKEN = \\"${a}\\"\\n"]}]}`, secret: a, file: 'finetune.ipynb' },
      ];
    },
    miss: () => [
      { text: cat('HF_TOKEN=', 'hf', '_', 'x'.repeat(34)) },
      { text: cat('HF_TOKEN=', 'hf', '_', letters(35)) },
      { text: cat('HF_TOKEN=', 'hf', '_', letters(20), '...') },
      { text: cat('HF_TOKEN=', 'hf', '_', rand(UPPER, 34)) },
    ],
  },
  token('groq-api-key', () => cat('gs', 'k_', mixed(52)), () => [cat('gs', 'k_', mixed(40)), cat('gs', 'k_', 'a'.repeat(52))]),
  token('replicate-api-token', () => cat('r8', '_', mixed(37)), () => [cat('r8', '_', mixed(20)), cat('r8', '_', mixed(45))]),
  token('perplexity-api-key', () => cat('pp', 'lx-', mixed(48)), () => [cat('pp', 'lx-', mixed(30)), cat('pp', 'lx-', 'x'.repeat(48))]),
  token('xai-api-key', () => cat('xa', 'i-', mixed(80)), () => [cat('xa', 'i-', mixed(60)), cat('xa', 'i-', '0'.repeat(80))]),
  token('openrouter-api-key', () => cat('sk-', 'or-', 'v1-', rand(HEX, 64)), () => [cat('sk-', 'or-', 'v1-', rand(HEX, 40)), cat('sk-', 'or-', 'v1-', rand(ALNUM, 64).toUpperCase())]),
  token('langsmith-api-key', () => cat('lsv2', '_pt_', rand(HEX, 32), '_', rand(HEX, 10)), () => [cat('lsv2', '_pt_', rand(HEX, 32)), cat('lsv2', '_xx_', rand(HEX, 32), '_', rand(HEX, 10))]),
  token('pinecone-api-key', () => cat('pc', 'sk_', mixed(6), '_', mixed(63)), () => [cat('pc', 'sk_', mixed(6), '_', mixed(20)), cat('pc', 'sk_', mixed(70))]),
  token('elevenlabs-api-key', () => cat('sk', '_', rand(HEX, 48)), () => [cat('sk', '_', rand(HEX, 40)), cat('sk', '_', rand(ALNUM, 48).replace(/[a-f0-9]/g, 'z'))]),
  token('fireworks-api-key', () => cat('fw', '_', mixed(24)), () => [cat('fw', '_', mixed(16)), cat('fw', '_', rand(LOWER, 24)), cat('fw', '_', 'ModelDeploymentReplicaId')]),
  context('cohere-api-key', ['COHERE_API_KEY', 'cohere.api_key', 'CO_API_KEY'], () => mixed(40), (v) => [`COHERE_API_KEY=${v.slice(0, 30)}`]),
  context('mistral-api-key', ['MISTRAL_API_KEY', 'mistral_key'], () => mixed(32), (v) => [`MISTRAL_API_KEY=${v.slice(0, 20)}`, 'MISTRAL_API_KEY=your_mistral_api_key_here']),
  context('deepseek-api-key', ['DEEPSEEK_API_KEY', 'deepseek.key'], () => cat('sk', '-', rand(HEX, 32)), (v) => [`DEEPSEEK_API_KEY=${v.slice(0, 20)}`]),
  context('together-api-key', ['TOGETHER_API_KEY', 'together_key'], () => rand(HEX, 64), (v) => [`TOGETHER_API_KEY=${v.slice(0, 40)}`]),
  context('azure-openai-key', ['AZURE_OPENAI_API_KEY', 'azure_openai.key', 'Ocp-Apim-Subscription-Key'], () => rand(HEX, 32), (v) => [`AZURE_OPENAI_API_KEY=${v.slice(0, 20)}`]),
  context('assemblyai-api-key', ['ASSEMBLYAI_API_KEY', 'deepgram_api_key'], () => rand(HEX, 32), (v) => [`ASSEMBLYAI_API_KEY=${v.slice(0, 20)}`]),

  // --- infrastructure
  token('doppler-token', () => cat('dp', '.pt.', mixed(43)), () => [cat('dp', '.pt.', mixed(30)), cat('dp', '.xx.', mixed(43)), cat('dp', '.pt.', 'x'.repeat(43))], (t) => [`doppler secrets --token ${t}`]),
  {
    rule: 'doppler-token',
    find: () => ['st.', 'ct.', 'sa.', 'scim.', 'audit.'].map((k) => {
      const t = k === 'st.' ? cat('dp', '.st.', 'prd.', mixed(40)) : cat('dp', '.', k, mixed(44));
      return { text: `DOPPLER_TOKEN="${t}"`, secret: t };
    }),
    miss: () => [{ text: cat('DOPPLER_TOKEN=', 'dp', '.st.', 'dev.', mixed(12)) }],
  },
  token('terraform-cloud-token', () => cat(mixed(14), '.atlas', 'v1.', rand(URL64, 67)), () => [cat(mixed(14), '.atlas', 'v1.', rand(URL64, 30)), cat(mixed(14), '.atlas', 'v2.', rand(URL64, 67))]),
  {
    rule: 'terraform-credentials',
    find: () => {
      const a = mixed(60);
      const b = mixed(70);
      const c = mixed(48);
      return [
        { text: `export TF_TOKEN_app_terraform_io=${a}`, secret: a },
        { text: `{\n  "credentials": {\n    "tfe.corp.io": {\n      "token": "${b}"\n    }\n  }\n}`, secret: b, file: '.terraform.d/credentials.tfrc.json' },
        { text: `credentials "tfe.corp.io" {\n  token = "${c}"\n}`, secret: c, file: '.terraformrc' },
      ];
    },
    miss: () => [{ text: 'TF_TOKEN_app_terraform_io=${{ secrets.TF_API_TOKEN }}' }, { text: `{"token": "${mixed(40)}"}` }, { text: `TF_TOKEN_app_terraform_io=${'a'.repeat(40)}` }],
  },
  token('digitalocean-token', () => cat('do', 'p_v1_', rand(HEX, 64)), () => [cat('do', 'p_v1_', rand(HEX, 50)), cat('do', 'x_v1_', rand(HEX, 64)), cat('do', 'p_v1_', rand(HEX, 63), 'G')], (t) => [`doctl auth init -t ${t}`]),
  {
    rule: 'digitalocean-token',
    find: () => {
      const o = cat('do', 'o_v1_', rand(HEX, 64));
      const r = cat('do', 'r_v1_', rand(HEX, 64));
      return [
        { text: `{"access_token": "${o}", "token_type": "Bearer", "expires_in": 2592000}`, secret: o },
        { text: `digitalocean:\n  refresh_token: ${r}\n`, secret: r, file: 'config/do.yaml' },
        { text: `curl -H "Authorization: Bearer ${o}" https://api.digitalocean.com/v2/account`, secret: o, file: 'scripts/check.sh' },
      ];
    },
    miss: () => [
      { text: cat('token = ', 'do', 'o_v1_', rand(HEX, 64).toUpperCase()) },
      { text: cat('token = ', 'do', 'r_v2_', rand(HEX, 64)) },
      { text: cat('token = ', 'do', 'o_v1_', rand(HEX, 64), rand(HEX, 2)) },
      { text: cat('token = ', 'do', 'r_v1_', 'x'.repeat(64)) },
    ],
  },
  token('pulumi-access-token', () => cat('pu', 'l-', rand(HEX, 40)), () => [cat('pu', 'l-', rand(HEX, 30)), cat('pu', 'l-', '0'.repeat(40))]),
  token('flyio-token', () => cat('fo', '1_', rand(URL64, 43)), () => [cat('fo', '1_', rand(URL64, 30))], () => []),
  token('heroku-api-key', () => cat('HR', 'KU-', 'AA', rand(URL64, 58)), () => [cat('HR', 'KU-', 'AA', rand(URL64, 40)), cat('HR', 'KU-', 'BB', rand(URL64, 58))]),
  context('heroku-legacy-api-key', ['HEROKU_API_KEY', 'heroku.api_key'], uuid, (v) => [`HEROKU_APP_ID=${v.slice(0, 30)}`]),
  token('netlify-token', () => cat('nf', 'p_', mixed(36)), () => [cat('nf', 'p_', mixed(20)), cat('nf', 'p_', 'z'.repeat(36))]),
  context('netlify-legacy-token', ['NETLIFY_AUTH_TOKEN', 'netlify_token'], () => rand(URL64, 43), (v) => [`NETLIFY_AUTH_TOKEN=${v.slice(0, 30)}`]),
  context('vercel-token', ['VERCEL_TOKEN', 'vercel.token'], () => mixed(24), (v) => [`VERCEL_TOKEN=${v.slice(0, 16)}`, `VERCEL_TOKEN=${rand(LOWER, 24)}`, 'VERCEL_TOKEN=DeployHookForPreviewEnvs']),
  token('render-api-key', () => cat('rn', 'd_', mixed(32)), () => [cat('rn', 'd_', mixed(20))]),
  context('railway-token', ['RAILWAY_TOKEN', 'railway_api_token'], uuid, (v) => [`RAILWAY_TOKEN=${v.slice(0, 20)}`]),
  context('linode-token', ['LINODE_TOKEN', 'linode_api_token'], () => rand(HEX, 64), (v) => [`LINODE_TOKEN=${v.slice(0, 40)}`]),
  token('scaleway-access-key', () => cat('SC', 'W', rand(UPPER, 9), rand(DIGITS, 8)), () => [cat('SC', 'W', rand(UPPER, 10)), cat('SC', 'W', rand(LOWER, 17))]),
  context('scaleway-secret-key', ['SCW_SECRET_KEY', 'scaleway_secret_key'], uuid, (v) => [`SCW_SECRET_KEY=${v.slice(0, 20)}`]),
  token('alibaba-access-key-id', () => cat('LT', 'AI', mixed(20)), () => [cat('LT', 'AI', mixed(8)), cat('LT', 'AI', 'A'.repeat(20))]),
  context('alibaba-access-key-secret', ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'aliyun_secret', 'access_key_secret'], () => mixed(30), (v) => [`ALIBABA_CLOUD_ACCESS_KEY_SECRET=${v.slice(0, 20)}`]),
  token('tencent-cloud-secret-id', () => cat('AK', 'ID', mixed(32)), () => [cat('AK', 'ID', mixed(20))]),
  context('ibm-cloud-api-key', ['IBMCLOUD_API_KEY', 'ibm_api_key'], () => cat(mixed(22), '_', mixed(21)), (v) => [`IBMCLOUD_API_KEY=${v.slice(0, 30)}`]),
  context('cloudflare-api-token', ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'cloudflare.token'], () => cat(mixed(20), '_', mixed(19)), (v) => [`CLOUDFLARE_API_TOKEN=${v.slice(0, 30)}`, 'CLOUDFLARE_API_TOKEN=<your-cloudflare-token>']),
  token('cloudflare-origin-ca-key', () => cat('v1', '.0-', rand(HEX, 24), '-', rand(HEX, 146)), () => [cat('v1', '.0-', rand(HEX, 24), '-', rand(HEX, 100))]),
  token('grafana-token', () => cat('gl', 'sa_', mixed(32), '_', rand(HEX, 8)), () => [cat('gl', 'sa_', mixed(32)), cat('gl', 'sa_', mixed(20), '_', rand(HEX, 8))]),
  {
    rule: 'grafana-token',
    find: () => {
      const a = cat('gl', 'c_', rand(B64, 120), '=');
      const b = cat('eyJr', 'Ijoi', mixed(80));
      return [{ text: `GRAFANA_CLOUD_TOKEN=${a}`, secret: a }, { text: `grafana_api_key: ${b}`, secret: b }];
    },
    miss: () => [{ text: cat('gl', 'c_', rand(B64, 10)) }],
  },
  token('new-relic-key', () => cat('NR', 'AK-', rand(UPPER + DIGITS, 27)), () => [cat('NR', 'AK-', rand(UPPER + DIGITS, 20)), cat('NR', 'XX-', rand(UPPER + DIGITS, 27))]),
  token('new-relic-license-key', () => cat(rand(HEX, 36), 'NR', 'AL'), () => [cat(rand(HEX, 30), 'NR', 'AL')]),
  context('datadog-api-key', ['DD_API_KEY', 'datadog_app_key', 'DATADOG_API_KEY', 'DD-API-KEY', 'dd_app_key'], () => rand(HEX, 32), (v) => [`DD_API_KEY=${v.slice(0, 20)}`, `DD_SITE=${v}`, `commit_sha = "${v}"`, `DD_API_KEY=${rand(ALNUM, 32).replace(/[0-9a-f]/g, 'z')}`]),
  {
    rule: 'datadog-api-key',
    find: () => {
      const a = rand(HEX, 40);
      return [{ text: `DATADOG_APP_KEY="${a}"`, secret: a }, { text: `{"source": "{\\"datadog_api_key\\": \\"${a.slice(0, 32)}\\"}"}`, secret: a.slice(0, 32) }];
    },
    miss: () => [{ text: `datadog_api_key: ${rand(HEX, 36)}` }],
  },
  token('sentry-auth-token', () => cat('sn', 'tryu_', rand(HEX, 64)), () => [cat('sn', 'tryu_', rand(HEX, 40)), cat('sn', 'tryx_', rand(HEX, 64))]),
  {
    rule: 'sentry-auth-token',
    find: () => {
      const body = Buffer.from(JSON.stringify({ iat: 1700000000.5, url: 'https://sentry.io', region_url: 'https://us.sentry.io', org: 'acme' })).toString('base64').replace(/=+$/, '');
      const t = cat('sn', 'trys_', body, '_', rand(B64, 43));
      return [{ text: `SENTRY_AUTH_TOKEN=${t}`, secret: t }];
    },
    miss: () => [{ text: cat('SENTRY_AUTH_TOKEN=', 'sn', 'trys_', 'eyJ') }],
  },
  context('sentry-legacy-token', ['SENTRY_AUTH_TOKEN', 'sentry.token'], () => rand(HEX, 64), (v) => [`SENTRY_DSN_HASH=${v.slice(0, 40)}`]),
  context('honeycomb-api-key', ['HONEYCOMB_API_KEY', 'x-honeycomb-team'], () => mixed(32), (v) => [`HONEYCOMB_API_KEY=${v.slice(0, 12)}`]),
  token('dynatrace-api-token', () => cat('dt0', 'c01.', rand(UPPER + DIGITS, 24), '.', rand(UPPER + DIGITS, 64)), () => [cat('dt0', 'c01.', rand(UPPER + DIGITS, 24), '.', rand(UPPER + DIGITS, 30))]),
  context('splunk-hec-token', ['SPLUNK_HEC_TOKEN', 'hec_token'], uuid, (v) => [`SPLUNK_HOST=${v.slice(0, 20)}`]),
  context('pagerduty-api-key', ['PAGERDUTY_API_KEY', 'pagerduty_token'], () => cat('u+', rand(URL64, 18)), (v) => [`PAGERDUTY_SERVICE=${v.slice(0, 8)}`]),
  {
    // 20 characters of a 65-symbol alphabet (`u+` and 18 for a user token): one in a thousand measures under 3.5 bits.
    rule: 'pagerduty-api-key',
    find: () => {
      const low = (prefix: string) => lowTail(() => cat(prefix, rand(`${URL64}+`, 20 - prefix.length)), 3.3, 3.5);
      const [a, b, c, d] = [low('u+'), low(''), low('u+'), low('')];
      const e = cat('u+', rand(`${LOWER}${DIGITS}_-`, 18));
      return [
        { text: `PAGERDUTY_API_KEY=${a}\n`, secret: a, file: '.env' },
        { text: `pagerduty:\n  pagerduty_token: "${b}"\n`, secret: b, file: 'config/alerts.yml' },
        { text: `{"PAGERDUTY_API_KEY": "${c}"}`, secret: c, file: 'secrets.json' },
        { text: `PagerDuty.api_key = '${d}'`, secret: d, file: 'config/initializers/pagerduty.rb' },
        // A user token with no capital in it, as one in a few thousand is.
        { text: `PAGERDUTY_USER_TOKEN=${e}\n`, secret: e, file: '.env' },
      ];
    },
    miss: () => [
      { text: `PAGERDUTY_SCHEDULE=${cat(rand(LOWER, 8), '-', rand(LOWER, 6), '-', rand(LOWER, 2), rand(DIGITS, 2))}` },
      { text: `PAGERDUTY_API_KEY=${cat('u+', rand(ALNUM, 3).repeat(6))}` },
      { text: `PAGERDUTY_API_KEY=${cat('u+', 'abcdefgh', rand(ALNUM, 10))}` },
      { text: `PAGERDUTY_API_KEY=${rand(UPPER + DIGITS, 20)}` },
      { text: 'PAGERDUTY_API_KEY=your-pagerduty-api-key' },
    ],
  },
  context('opsgenie-api-key', ['OPSGENIE_API_KEY', 'GenieKey'], uuid, (v) => [`OPSGENIE_TEAM=${v.slice(0, 8)}`]),
  token('databricks-token', () => cat('da', 'pi', rand(HEX, 32)), () => [cat('da', 'pi', rand(HEX, 20)), cat('da', 'pi', rand(HEX, 32), 'g')]),
  context('confluent-api-secret', ['CONFLUENT_API_SECRET', 'sasl.password'], () => rand(B64, 64), (v) => [`CONFLUENT_API_SECRET=${v.slice(0, 40)}`]),
  token('planetscale-token', () => cat('pscale', '_pw_', mixed(43)), () => [cat('pscale', '_pw_', mixed(20)), cat('pscale', '_xx_', mixed(43))]),
  token('supabase-key', () => cat('sb', 'p_', rand(HEX, 40)), () => [cat('sb', 'p_', rand(HEX, 30))], () => []),
  token('neon-api-key', () => cat('na', 'pi_', rand(LOWER + DIGITS, 64)), () => [cat('na', 'pi_', rand(LOWER + DIGITS, 40))]),
  token('tailscale-key', () => cat('ts', 'key-', 'auth-', mixed(12), 'CNTRL-', mixed(33)), () => [cat('ts', 'key-', 'auth-', mixed(12)), cat('ts', 'key-', 'xyz-', mixed(12), '-', mixed(33))]),
  context('ngrok-authtoken', ['NGROK_AUTHTOKEN', 'ngrok_token'], () => cat(mixed(27), '_', mixed(21)), (v) => [`NGROK_AUTHTOKEN=${v.slice(0, 20)}`]),
  token('age-secret-key', () => cat('AGE-', 'SECRET-', 'KEY-1', rand('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)), () => [cat('AGE-', 'SECRET-', 'KEY-1', rand('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 40)), cat('AGE-', 'SECRET-', 'KEY-1', rand('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 57), 'B')]),
  token('1password-token', () => cat('ops', '_eyJ', rand(B64, 300)), () => [cat('ops', '_eyJ', rand(B64, 100))]),
  token('docker-swarm-join-token', () => cat('SWM', 'TKN-1-', rand(LOWER + DIGITS, 50), '-', rand(LOWER + DIGITS, 25)), () => [cat('SWM', 'TKN-1-', rand(LOWER + DIGITS, 50))]),
  token('openshift-token', () => cat('sha', '256~', rand(URL64, 43)), () => [cat('sha', '256~', rand(URL64, 30))]),
  {
    rule: 'azure-sas-token',
    find: () => {
      const sig = encodeURIComponent(rand(B64, 43) + '=');
      return [{ text: `https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig=${sig}`, secret: sig }];
    },
    miss: () => [{ text: 'https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=<signature>' }, { text: `sig=${rand(B64, 43)}` }],
  },
  context('azure-devops-pat', ['AZURE_DEVOPS_EXT_PAT', 'ado_pat'], () => rand('abcdefghijklmnopqrstuvwxyz234567', 52), (v) => [`AZURE_DEVOPS_ORG=${v.slice(0, 20)}`]),
  token('azure-devops-pat-new', () => cat(mixed(76), 'AZ', 'DO', mixed(4)), () => [cat(mixed(60), 'AZ', 'DO', mixed(4))]),
  token('gcp-oauth-client-secret', () => cat('GOC', 'SPX-', mixed(28)), () => [cat('GOC', 'SPX-', mixed(20))]),
  token('gcp-oauth-token', () => cat('ya', '29.', rand(URL64, 150)), () => [cat('ya', '29.', rand(URL64, 10))]),
  token('aws-bedrock-api-key', () => cat('AB', 'SK', rand(B64, 130)), () => [cat('AB', 'SK', rand(B64, 50))]),
  context('aws-session-token', ['AWS_SESSION_TOKEN', 'aws_session_token'], () => rand(B64, 356), (v) => [`AWS_SESSION_TOKEN=${v.slice(0, 60)}`]),
  {
    rule: 'vault-config-token',
    find: () => {
      const a = cat('s', '.', mixed(24));
      const b = cat('s', '.', mixed(24));
      return [{ text: `{"auth": {"client_token": "${a}"}}`, secret: a }, { text: `root_token = "${b}"`, secret: b }];
    },
    miss: () => [{ text: `token = ${cat('s', '.', rand(LOWER, 24))}` }, { text: `token: ${cat('s', '.', mixed(20))}` }],
  },

  // --- developer tools
  token('gitlab-runner-registration-token', () => cat('GR13', '48941', mixed(20)), () => [cat('GR13', '48941', mixed(10))]),
  token('gitlab-other-token', () => cat('gl', 'oas-', rand(URL64, 64)), () => [cat('gl', 'oas-', rand(URL64, 30))]),
  token('bitbucket-app-password', () => cat('AT', 'BB', mixed(32)), () => [cat('AT', 'BB', mixed(10))]),
  token('atlassian-api-token', () => cat('ATA', 'TT3', rand(URL64, 186)), () => [cat('ATA', 'TT3', rand(URL64, 50))]),
  context('atlassian-legacy-token', ['JIRA_API_TOKEN', 'confluence_token'], () => mixed(24), (v) => [`JIRA_PROJECT=${v.slice(0, 10)}`, 'JIRA_API_TOKEN=ServiceDeskAutomationBot']),
  token('circleci-token', () => cat('CCI', 'PAT_', mixed(22), '_', rand(HEX, 40)), () => [cat('CCI', 'PAT_', mixed(22))]),
  context('ci-service-token', ['CIRCLE_TOKEN', 'CODECOV_TOKEN', 'TRAVIS_API_TOKEN'], () => rand(HEX, 40), (v) => [`CIRCLE_SHA1=${v.slice(0, 12)}`]),
  token('buildkite-token', () => cat('bk', 'ua_', rand(HEX, 40)), () => [cat('bk', 'ua_', rand(HEX, 20))]),
  token('dockerhub-token', () => cat('dc', 'kr_pat_', rand(URL64, 27)), () => [cat('dc', 'kr_pat_', rand(URL64, 10))], (t) => [`echo "$X" | docker login -u bot --password ${t}`]),
  token('artifactory-token', () => cat('AK', 'Cp', mixed(69)), () => [cat('AK', 'Cp', mixed(30))]),
  context('jfrog-token', ['JFROG_ACCESS_TOKEN', 'artifactory_api_key'], () => mixed(64), (v) => [`JFROG_URL=${v.slice(0, 20)}`]),
  token('sonarqube-token', () => cat('sq', 'p_', rand(HEX, 40)), () => [cat('sq', 'p_', rand(HEX, 20)), cat('sq', 'x_', rand(HEX, 40))]),
  context('sonar-legacy-token', ['SONAR_TOKEN', 'sonar.login'], () => rand(HEX, 40), (v) => [`SONAR_HOST=${v.slice(0, 12)}`]),
  context('snyk-token', ['SNYK_TOKEN', 'snyk_api_token'], uuid, (v) => [`SNYK_ORG=${v.slice(0, 12)}`]),
  token('rubygems-api-key', () => cat('ruby', 'gems_', rand(HEX, 48)), () => [cat('ruby', 'gems_', rand(HEX, 30))]),
  token('nuget-api-key', () => cat('oy', '2', rand(LOWER + DIGITS, 43)), () => [cat('oy', '2', rand(LOWER + DIGITS, 30))]),
  token('clojars-token', () => cat('CLO', 'JARS_', rand(LOWER + DIGITS, 60)), () => [cat('CLO', 'JARS_', rand(LOWER + DIGITS, 30))]),
  token('crates-io-token', () => cat('ci', 'o', mixed(32)), () => [cat('ci', 'o', mixed(20)), cat('ci', 'o', rand(LOWER, 32)), cat('ci', 'o', 'RegistryIndexProtocolSparseModes')]),
  token('postman-api-key', () => cat('PM', 'AK-', rand(HEX, 24), '-', rand(HEX, 34)), () => [cat('PM', 'AK-', rand(HEX, 24))]),
  token('readme-api-key', () => cat('rd', 'me_', rand(LOWER + DIGITS, 70)), () => [cat('rd', 'me_', rand(LOWER + DIGITS, 30))]),
  token('prefect-api-key', () => cat('pn', 'u_', mixed(36)), () => [cat('pn', 'u_', mixed(20))]),
  token('linear-api-key', () => cat('lin', '_api_', mixed(40)), () => [cat('lin', '_api_', mixed(20))]),
  token('figma-token', () => cat('fi', 'gd_', mixed(40)), () => [cat('fi', 'gd_', mixed(20))]),
  token('notion-token', () => cat('nt', 'n_', rand(DIGITS, 11), mixed(35)), () => [cat('nt', 'n_', rand(DIGITS, 11), mixed(10))]),
  token('airtable-token', () => cat('pa', 't', mixed(14), '.', rand(HEX, 64)), () => [cat('pa', 't', mixed(14), '.', rand(HEX, 30))]),
  {
    rule: 'asana-token',
    find: () => {
      const t = cat('1', '/', rand(DIGITS, 16), ':', rand(HEX, 32));
      return [{ text: `ASANA_ACCESS_TOKEN=${t}`, secret: t }];
    },
    miss: () => [{ text: `asana_project = ${cat('1', '/', rand(DIGITS, 16))}` }],
  },
  token('harness-token', () => cat('pa', 't.', rand(URL64, 22), '.', mixed(24), '.', mixed(20)), () => [cat('pa', 't.', rand(URL64, 22), '.', mixed(24))]),
  token('infracost-api-key', () => cat('ic', 'o-', mixed(32)), () => [cat('ic', 'o-', mixed(20))]),
  token('octopus-deploy-api-key', () => cat('AP', 'I-', rand(UPPER, 13), rand(DIGITS, 13)), () => [cat('AP', 'I-', rand(UPPER, 26)), cat('AP', 'I-', rand(UPPER + DIGITS, 10))]),
  token('sourcegraph-token', () => cat('sg', 'p_', rand(HEX, 16), '_', rand(HEX, 40)), () => [cat('sg', 'p_', rand(HEX, 20))]),
  token('scalingo-api-token', () => cat('tk-', 'us-', rand(URL64, 48)), () => [cat('tk-', 'us-', rand(URL64, 20))]),
  token('launchdarkly-key', () => cat('sd', 'k-', uuid()), () => [cat('sd', 'k-', rand(HEX, 32)), cat('sd', 'k-', uuid().slice(0, 30))]),
  {
    rule: 'launchdarkly-key',
    find: () => {
      const a = cat('ap', 'i-', uuid());
      const b = cat('sd', 'k-', uuid());
      return [
        { text: `LD_API_ACCESS_TOKEN=${a}`, secret: a },
        { text: `headers = {"Authorization": "${a}"}`, secret: a },
        { text: `ldclient.set_config(Config("${b}"))`, secret: b, file: 'app/flags.py' },
        { text: `launchdarkly:\n  sdkKey: '${b}'\n`, secret: b, file: 'helm/values.yaml' },
      ];
    },
    miss: () => [
      { text: cat('LD_SDK_KEY=', 'sd', 'k-', uuid().toUpperCase()) },
      { text: cat('LD_SDK_KEY=', 'sd', 'k-', '00000000-0000-0000-0000-000000000000') },
      { text: cat('LD_SDK_KEY=', 'sd', 'k-', 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx') },
      { text: cat('request_id = "', 'ap', 'i-', uuid().slice(0, 23), '"') },
    ],
  },
  {
    // Mobile keys (`mob-` + UUID) sit in app code and plists; they read every flag of the environment like an SDK key.
    rule: 'launchdarkly-key',
    find: () => {
      const keys = Array.from({ length: 6 }, () => cat('mo', 'b-', uuid()));
      return [
        { text: `LD_MOBILE_KEY=${keys[0]}`, secret: keys[0]! },
        { text: `let config = LDConfig(mobileKey: "${keys[1]}", autoEnvAttributes: .enabled)`, secret: keys[1]!, file: 'ios/App/Flags.swift' },
        { text: `val ldConfig = LDConfig.Builder(AutoEnvAttributes.Enabled)\n    .mobileKey("${keys[2]}")\n    .build()`, secret: keys[2]!, file: 'android/app/src/main/java/Flags.kt' },
        { text: `<key>LDMobileKey</key>\n<string>${keys[3]}</string>`, secret: keys[3]!, file: 'ios/App/Info.plist' },
        { text: `{"launchDarkly": {"mobileKey": "${keys[4]}"}}`, secret: keys[4]!, file: 'app.json' },
        { text: `await LDClient.configure({ mobileKey: '${keys[5]}', enableAutoEnvAttributes: true }, context);`, secret: keys[5]!, file: 'src/flags.ts' },
      ];
    },
    miss: () => [
      { text: cat('LD_MOBILE_KEY=', 'mo', 'b-', uuid().toUpperCase()) },
      { text: cat('LD_MOBILE_KEY=', 'mo', 'b-', '00000000-0000-0000-0000-000000000000') },
      { text: cat('mobileKey: "', 'mo', 'b-', 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', '"') },
      { text: cat('LD_MOBILE_KEY=', 'mo', 'b-', uuid().slice(0, 30)) },
      { text: cat('LD_MOBILE_KEY=', 'mo', 'b-', rand(HEX, 32)) },
      { text: `<nav class="${cat('mo', 'b-')}menu ${cat('mo', 'b-')}${uuid().slice(0, 8)}">` },
      { text: cat('LD_MOBILE_KEY=', 'mo', 'b-', '<your-mobile-key>') },
    ],
  },
  context('launchdarkly-legacy-key', ['LAUNCHDARKLY_ACCESS_TOKEN', 'launchdarkly_api_key'], () => mixed(40), (v) => [`LAUNCHDARKLY_PROJECT=${v.slice(0, 12)}`]),
  {
    rule: 'sidekiq-credentials',
    find: () => {
      const a = cat(rand(HEX, 8), ':', rand(HEX, 8));
      const b = cat(rand(HEX, 8), ':', rand(HEX, 8));
      return [{ text: `BUNDLE_ENTERPRISE__CONTRIBSYS__COM: "${a}"`, secret: a }, { text: `source "https://${b}@gems.contribsys.com/" do`, secret: b }];
    },
    miss: () => [{ text: 'source "https://gems.contribsys.com/"' }, { text: `BUNDLE_GEMS__CONTRIBSYS__COM: "${rand(HEX, 8)}"` }],
  },
  token('intra42-client-secret', () => cat('s-s4', 't2ud-', rand(HEX, 64)), () => [cat('s-s4', 't2ud-', rand(HEX, 30))]),
  token('settlemint-token', () => cat('sm', '_pat_', mixed(16)), () => [cat('sm', '_pat_', mixed(8))]),
  token('adobe-client-secret', () => cat('p8', 'e-', mixed(32)), () => [cat('p8', 'e-', mixed(20))]),
  token('clickhouse-cloud-key', () => cat('4b', '1d', mixed(38)), () => [cat('4b', '1d', mixed(20))]),
  token('maxmind-license-key', () => cat(mixed(6), '_', mixed(29), '_m', 'mk'), () => [cat(mixed(6), '_', mixed(20), '_m', 'mk')]),

  // --- business platforms
  {
    rule: 'discord-webhook-url',
    find: () => {
      const p = cat(rand(DIGITS, 19), '/', rand(URL64, 68));
      return [{ text: `DISCORD_WEBHOOK=https://discord.com/api/webhooks/${p}`, secret: p }, { text: `url: "https://discordapp.com/api/webhooks/${p}"`, secret: p }];
    },
    miss: () => [{ text: 'https://discord.com/api/webhooks/{id}/{token}' }, { text: `https://discord.com/api/webhooks/${rand(DIGITS, 19)}/${'x'.repeat(68)}` }],
  },
  {
    rule: 'discord-bot-token',
    find: () => {
      const t = cat('M', mixed(25), '.', mixed(6), '.', rand(URL64, 38));
      return [{ text: `DISCORD_BOT_TOKEN=${t}`, secret: t }, { text: `client.login('${t}') // discord`, secret: t }];
    },
    miss: () => [{ text: `value = ${cat('M', mixed(25), '.', mixed(6), '.', rand(URL64, 38))}` }, { text: `DISCORD_BOT_TOKEN=${cat('M', mixed(25), '.', mixed(6))}` }],
  },
  context('discord-client-secret', ['DISCORD_CLIENT_SECRET', 'discord.secret'], () => cat(mixed(20), '_', mixed(11)), (v) => [`DISCORD_GUILD=${v.slice(0, 18)}`]),
  token('telegram-bot-token', () => cat(rand(DIGITS, 10), ':', 'AA', rand(URL64, 33)), () => [cat(rand(DIGITS, 10), ':', 'AA', rand(URL64, 20)), cat(rand(DIGITS, 10), ':', 'BB', rand(URL64, 33))]),
  {
    rule: 'microsoft-teams-webhook',
    find: () => {
      const p = cat(uuid(), '@', uuid(), '/Incoming', 'Webhook/', rand(HEX, 32), '/', uuid());
      return [{ text: `TEAMS_WEBHOOK=https://acme.webhook.office.com/webhookb2/${p}`, secret: p }];
    },
    miss: () => [{ text: 'https://acme.webhook.office.com/webhookb2/<id>/IncomingWebhook/<key>/<id>' }],
  },
  token('shopify-token', () => cat('sh', 'pat_', rand(HEX, 32)), () => [cat('sh', 'pat_', rand(HEX, 20)), cat('sh', 'pxx_', rand(HEX, 32))], (t) => [`X-Shopify-Access-Token: ${t}`]),
  {
    rule: 'shopify-token',
    find: () => ['ss_', 'ca_', 'pa_'].map((p) => {
      const t = cat('shp', p, rand(HEX, 32));
      return { text: `SHOPIFY_SECRET="${t}"`, secret: t };
    }),
    miss: () => [{ text: cat('shp', 'ss_', 'g'.repeat(32)) }],
  },
  {
    rule: 'mailgun-api-key',
    find: () => {
      const a = cat('key', '-', rand(HEX, 32));
      const b = cat(rand(HEX, 32), '-', rand(HEX, 8), '-', rand(HEX, 8));
      return [{ text: `MAILGUN_API_KEY=${a}`, secret: a }, { text: `mailgun:\n  api_key: "${b}"`, secret: b }];
    },
    miss: () => [{ text: `css_class = "${cat('key', '-', rand(HEX, 32))}"` }, { text: `MAILGUN_API_KEY=${cat('key', '-', rand(HEX, 20))}` }],
  },
  {
    rule: 'mailchimp-api-key',
    find: () => {
      const a = cat(rand(HEX, 32), '-u', 's', rand(DIGITS, 2));
      const b = cat(rand(HEX, 32), '-u', 's', rand(DIGITS, 1));
      return [{ text: `MAILCHIMP_API_KEY=${a}`, secret: a }, { text: `mailchimp.setConfig({ apiKey: "${b}", server: "us1" });`, secret: b }];
    },
    miss: () => [{ text: `MAILCHIMP_API_KEY=${cat(rand(HEX, 20), '-u', 's', rand(DIGITS, 2))}` }, { text: `MAILCHIMP_API_KEY=${cat(rand(HEX, 32), '-eu', '12')}` }, { text: `id = ${cat(rand(HEX, 32), '-u', 's', rand(DIGITS, 2))}` }],
  },
  context('mandrill-api-key', ['MANDRILL_API_KEY', 'mandrill_key'], () => mixed(22), (v) => [`MANDRILL_API_KEY=${v.slice(0, 12)}`]),
  token('brevo-api-key', () => cat('xke', 'ysib-', rand(HEX, 64), '-', mixed(16)), () => [cat('xke', 'ysib-', rand(HEX, 64))]),
  context('postmark-token', ['POSTMARK_SERVER_TOKEN', 'postmark_api_token'], uuid, (v) => [`POSTMARK_FROM=${v.slice(0, 12)}`]),
  context('messaging-api-key', ['NEXMO_API_SECRET', 'VONAGE_API_SECRET', 'PLIVO_AUTH_TOKEN'], () => mixed(16), (v) => [`NEXMO_API_SECRET=${v.slice(0, 8)}`, 'VONAGE_API_SECRET=VerifyRequestOtp']),
  {
    // Vonage/Nexmo API secrets are 16 random alphanumerics: about one in a hundred measures under 3.3 bits.
    rule: 'messaging-api-key',
    find: () => {
      const low = () => lowTail(() => mixed(16), 3.0, 3.3);
      const [a, b, c, d] = [low(), low(), low(), low()];
      return [
        { text: `VONAGE_API_SECRET=${a}`, secret: a, file: '.env' },
        { text: `vonage:\n  api_key: ${rand(HEX, 8)}\n  vonage_api_secret: "${b}"\n`, secret: b, file: 'config/sms.yml' },
        { text: `{"NEXMO_API_SECRET": "${c}"}`, secret: c, file: 'appsettings.json' },
        { text: `client = vonage.Client(key="${rand(HEX, 8)}", secret=os.getenv("X")) # VONAGE_API_SECRET=${d}`, secret: d, file: 'notify.py' },
      ];
    },
    miss: () => [
      { text: `VONAGE_API_SECRET=${cat(mixed(4), mixed(4)).repeat(2)}` },
      { text: `VONAGE_API_SECRET=${'a1'.repeat(8)}` },
      { text: `NEXMO_API_SECRET=${cat('abcdefgh', '12345678')}` },
      { text: `VONAGE_API_SECRET=${mixed(15)}` },
      { text: `VONAGE_API_SECRET=${rand(LOWER, 16)}` },
      { text: 'VONAGE_API_SECRET=your_vonage_secret' },
    ],
  },
  context('sendbird-token', ['SENDBIRD_API_TOKEN', 'sendbird_token'], () => rand(HEX, 40), (v) => [`SENDBIRD_APP=${v.slice(0, 12)}`]),
  context('intercom-token', ['INTERCOM_ACCESS_TOKEN', 'intercom_token'], () => cat('dG9rOj', rand(B64, 54), '='), (v) => [`INTERCOM_APP_ID=${v.slice(0, 12)}`]),
  token('hubspot-token', () => cat('pa', 't-na1-', uuid()), () => [cat('pa', 't-xx1-', uuid()), cat('pa', 't-na1-', uuid().slice(0, 20))]),
  context('hubspot-api-key', ['HUBSPOT_API_KEY', 'hapikey'], uuid, (v) => [`HUBSPOT_PORTAL=${v.slice(0, 12)}`]),
  context('support-desk-token', ['ZENDESK_API_TOKEN', 'freshdesk_api_key'], () => mixed(40), (v) => [`ZENDESK_SUBDOMAIN=${v.slice(0, 12)}`]),
  {
    rule: 'stripe-webhook-secret',
    find: () => {
      const t = cat('wh', 'sec_', mixed(32));
      const u = cat('wh', 'sec_', rand(B64, 40), '=');
      return [
        { text: `STRIPE_WEBHOOK_SECRET=${t}`, secret: t },
        { text: `endpoint_secret = '${t}'`, secret: t },
        { text: `"webhookSecret": "${u}"`, secret: u },
        { text: `stripe listen --forward-to localhost:4242 # ${t}`, secret: t },
        { text: `<add key="Stripe:WebhookSecret" value="${t}" />`, secret: t },
        { text: `env:\n  - name: STRIPE_WEBHOOK_SECRET\n    value: ${t}\n`, secret: t, file: 'k8s/deploy.yaml' },
        { text: `{"source": ["endpoint_secret = \\"${t}\\"\\n"]}`, secret: t, file: 'webhooks.ipynb' },
        { text: `ENV STRIPE_WEBHOOK_SECRET ${t}`, secret: t, file: 'Dockerfile' },
        { text: `[stripe]\nwebhook_secret = "${u}"\n`, secret: u, file: 'config.toml' },
        { text: `stripe:\n  webhook:\n    secret: ${u}\n`, secret: u, file: 'application.yml' },
        { text: `./server --stripe-webhook-secret=${t}`, secret: t, file: 'Procfile' },
        { text: `<webhookSecret>${t}</webhookSecret>`, secret: t, file: 'settings.xml' },
      ];
    },
    miss: () => [
      { text: cat('STRIPE_WEBHOOK_SECRET=', 'wh', 'sec_', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') },
      { text: cat('wh', 'sec_', mixed(20)) },
      { text: cat('wh', 'sec_', '...') },
      { text: cat('STRIPE_WEBHOOK_SECRET=', 'wh', 'sec_', mixed(90)) },
      { text: cat('STRIPE_WEBHOOK_SECRET=', 'wh', 'sec_', '<your-signing-secret>') },
    ],
  },
  token('square-token', () => cat('sq0', 'atp-', rand(URL64, 22)), () => [cat('sq0', 'atp-', rand(URL64, 10))]),
  token('braintree-access-token', () => cat('access', '_token$', 'production$', rand(LOWER + DIGITS, 16), '$', rand(HEX, 32)), () => [cat('access', '_token$', 'production$', rand(LOWER + DIGITS, 16))]),
  token('razorpay-key', () => cat('rz', 'p_live_', mixed(14)), () => [cat('rz', 'p_live_', mixed(8))]),
  context('razorpay-secret', ['RAZORPAY_KEY_SECRET', 'razorpay_secret'], () => mixed(24), (v) => [`RAZORPAY_KEY_SECRET=${v.slice(0, 12)}`]),
  token('flutterwave-key', () => cat('FLW', 'SECK_TEST-', rand('abcdefgh0123456789', 32), '-X'), () => [cat('FLW', 'SECK_TEST-', rand('abcdefgh0123456789', 20), '-X')]),
  context('plaid-token', ['PLAID_ACCESS_TOKEN', 'plaid_token'], () => cat('access-', 'sandbox-', uuid()), (v) => [`PLAID_ENV=${v.slice(0, 15)}`]),
  context('gocardless-token', ['GOCARDLESS_ACCESS_TOKEN', 'gocardless_token'], () => cat('live', '_', rand(URL64, 40)), (v) => [`GOCARDLESS_ACCESS_TOKEN=${v.slice(0, 20)}`]),
  token('shippo-token', () => cat('ship', 'po_live_', rand(HEX, 40)), () => [cat('ship', 'po_live_', rand(HEX, 20))]),
  token('easypost-api-key', () => cat('EZ', 'AK', mixed(54)), () => [cat('EZ', 'AK', mixed(30))]),
  token('duffel-token', () => cat('duf', 'fel_test_', rand(URL64, 43)), () => [cat('duf', 'fel_test_', rand(URL64, 20))]),
  context('lob-api-key', ['LOB_API_KEY', 'lob.api_key'], () => cat('live', '_', rand(HEX, 35)), (v) => [`LOB_API_KEY=${v.slice(0, 20)}`]),
  context('coinbase-token', ['COINBASE_API_SECRET', 'BINANCE_SECRET_KEY'], () => mixed(64), (v) => [`COINBASE_API_SECRET=${v.slice(0, 20)}`]),
  token('mapbox-secret-token', () => cat('sk', '.eyJ', rand(URL64, 60), '.', rand(URL64, 22)), () => [cat('sk', '.eyJ', rand(URL64, 20))]),
  token('dropbox-token', () => cat('sl', '.', rand(URL64, 140)), () => [cat('sl', '.', rand(URL64, 40))]),
  context('dropbox-app-token', ['DROPBOX_ACCESS_TOKEN', 'dropbox_token'], () => cat(mixed(11), 'AAAAAAAAAA', rand(URL64, 43)), (v) => [`DROPBOX_APP=${v.slice(0, 11)}`]),
  token('contentful-token', () => cat('CF', 'PAT-', rand(URL64, 43)), () => [cat('CF', 'PAT-', rand(URL64, 20))]),
  context('contentful-delivery-token', ['CONTENTFUL_DELIVERY_TOKEN', 'contentful_access_token'], () => rand(URL64, 43), (v) => [`CONTENTFUL_SPACE=${v.slice(0, 12)}`]),
  token('typeform-token', () => cat('tf', 'p_', rand(URL64, 59)), () => [cat('tf', 'p_', rand(URL64, 20))]),
  token('frameio-token', () => cat('fio', '-u-', rand(URL64, 64)), () => [cat('fio', '-u-', rand(URL64, 20))]),
  context('algolia-admin-key', ['ALGOLIA_ADMIN_KEY', 'algolia.apiKey', 'ALGOLIA_API_KEY'], () => rand(HEX, 32), (v) => [`ALGOLIA_APP_ID=${v.slice(0, 10).toUpperCase()}`]),
  {
    rule: 'segment-write-key',
    find: () => {
      const a = mixed(32);
      const b = mixed(32);
      return [{ text: `SEGMENT_WRITE_KEY="${a}"`, secret: a }, { text: `analytics.load("${b}");`, secret: b }];
    },
    miss: () => [{ text: `analytics.load("${rand(LOWER, 32)}");` }, { text: `SEGMENT_WRITE_KEY="${mixed(20)}"` }, { text: 'SEGMENT_WRITE_KEY="ServerSideEventsForwardingSource"' }],
  },
  context('okta-api-token', ['OKTA_API_TOKEN', 'okta.token'], () => cat('00', mixed(40)), (v) => [`OKTA_ORG=${v.slice(0, 12)}`]),
  context('auth0-client-secret', ['AUTH0_CLIENT_SECRET', 'auth0.secret'], () => rand(URL64, 64), (v) => [`AUTH0_DOMAIN=${v.slice(0, 12)}`]),
  token('twitter-bearer-token', () => cat('A'.repeat(22), mixed(90)), () => [cat('A'.repeat(22), mixed(20))]),
  context('twitter-api-secret', ['TWITTER_API_SECRET', 'twitter_consumer_secret'], () => mixed(50), (v) => [`TWITTER_HANDLE=${v.slice(0, 12)}`]),
  token('facebook-access-token', () => cat('EA', 'AC', mixed(150)), () => [cat('EA', 'AC', mixed(50)), cat('EA', 'Ac', mixed(150))]),
  context('facebook-app-secret', ['FACEBOOK_APP_SECRET', 'fb_app_secret'], () => rand(HEX, 32), (v) => [`FACEBOOK_APP_ID=${rand(DIGITS, 15)}`, `FACEBOOK_APP_SECRET=${v.slice(0, 20)}`]),
  token('firebase-cloud-messaging-key', () => cat('AAAA', rand(URL64, 7), ':APA', '91b', rand(URL64, 134)), () => [cat('AAAA', rand(URL64, 7), ':APA', '91b', rand(URL64, 40))]),
  context('social-app-secret', ['TWITCH_CLIENT_SECRET', 'SPOTIFY_CLIENT_SECRET', 'linkedin_secret'], () => mixed(32), (v) => [`SPOTIFY_PLAYLIST=${rand(LOWER, 32)}`, `TWITCH_CLIENT_SECRET=${v.slice(0, 10)}`, 'SPOTIFY_CLIENT_SECRET=PlaylistSyncUser']),
  context('pusher-secret', ['PUSHER_APP_SECRET', 'pusher.secret'], () => rand(HEX, 20), (v) => [`PUSHER_APP_ID=${rand(DIGITS, 7)}`, `PUSHER_APP_SECRET=${v.slice(0, 12)}`]),
  {
    // A Pusher Channels app secret is 20 random lower-case hex digits: about one in 25 measures under 3.0 bits.
    rule: 'pusher-secret',
    find: () => {
      const low = () => lowTail(() => rand(HEX, 20), 2.55, 3.0);
      const [a, b, c, d, e] = [low(), low(), low(), low(), low()];
      return [
        { text: `PUSHER_APP_ID=${rand(DIGITS, 7)}\nPUSHER_APP_SECRET=${a}\nPUSHER_APP_CLUSTER=eu\n`, secret: a, file: '.env' },
        { text: `  pusher.secret: "${b}"`, secret: b, file: 'config/application.yml' },
        { text: `{"pusher_secret": "${c}", "pusher_cluster": "mt1"}`, secret: c, file: 'config.json' },
        { text: `    'PUSHER_APP_SECRET' => '${d}',`, secret: d, file: 'config/broadcasting.php' },
        { text: `Pusher.secret = '${e}'`, secret: e, file: 'config/initializers/pusher.rb' },
      ];
    },
    miss: () => [
      { text: `PUSHER_APP_SECRET=${rand(HEX, 8).repeat(3).slice(0, 20)}` },
      { text: `PUSHER_APP_SECRET=${rand(HEX, 4).repeat(5)}` },
      { text: `PUSHER_APP_SECRET=${cat('0123456789', 'abcdef', rand(HEX, 4))}` },
      { text: `PUSHER_APP_SECRET=${cat(rand(HEX, 8), 'fedcba98')}${rand(HEX, 4)}` },
      { text: `PUSHER_APP_SECRET=${rand(HEX, 1).repeat(20)}` },
      { text: `PUSHER_APP_SECRET=${rand(HEX, 19)}` },
      { text: "    'secret' => env('PUSHER_APP_SECRET'),", file: 'config/broadcasting.php' },
      { text: `pusher_secret_sha256 = "${rand(HEX, 64)}"` },
    ],
  },
  context('fastly-api-token', ['FASTLY_API_TOKEN', 'fastly_key'], () => cat(mixed(20), '_', mixed(11)), (v) => [`FASTLY_SERVICE=${v.slice(0, 12)}`]),
  context('cisco-meraki-api-key', ['MERAKI_DASHBOARD_API_KEY', 'meraki_key'], () => rand(HEX, 40), (v) => [`MERAKI_ORG=${v.slice(0, 12)}`]),
  context('rapidapi-key', ['X-RapidAPI-Key', 'RAPIDAPI_KEY'], () => cat(mixed(30), '_', mixed(19)), (v) => [`RAPIDAPI_HOST=${v.slice(0, 12)}`]),
  context('yandex-key', ['YANDEX_API_KEY', 'yandex_cloud_key'], () => cat('AQ', 'VN', mixed(36)), (v) => [`YANDEX_FOLDER=${v.slice(0, 12)}`]),
  context('beamer-api-token', ['BEAMER_API_KEY', 'beamer_token'], () => cat('b_', rand(URL64, 44)), (v) => [`BEAMER_PRODUCT=${v.slice(0, 12)}`]),
];
