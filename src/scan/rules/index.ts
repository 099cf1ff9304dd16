import type { Rule } from '../types.js';
import { aiRules } from './ai.js';
import { businessRules } from './business.js';
import { cloudRules } from './cloud.js';
import { connectionRules } from './connection.js';
import { devtoolsRules } from './devtools.js';
import { genericRules } from './generic.js';
import { infraRules } from './infra.js';
import { keyRules } from './keys.js';
import { saasRules } from './saas.js';
import { vcsRules } from './vcs.js';

/** Every built-in rule, most specific first: a generic match is dropped where a specific rule already reported. */
export const BUILTIN_RULES: readonly Rule[] = [
  ...cloudRules,
  ...vcsRules,
  ...saasRules,
  ...aiRules,
  ...infraRules,
  ...devtoolsRules,
  ...businessRules,
  ...keyRules,
  ...connectionRules,
  ...genericRules,
];
