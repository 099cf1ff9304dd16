// Placeholder until the audit report lands (replaced on merge).
export { run } from './not-implemented.js';
