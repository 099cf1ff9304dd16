import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'compliance',
  description: 'map NIST 800-53, SOC 2, ISO 27001, HIPAA, PCI DSS and GDPR controls to evidence vh-secrets can measure',
  options: [
    { flags: '--framework <name>', description: 'framework to report', choices: ['nist-800-53', 'soc2', 'iso27001', 'hipaa', 'pci-dss', 'gdpr', 'all'], default: 'all' },
    { flags: '--days <n>', description: 'days of audit log the anomaly detectors examine (default 30)' },
  ],
  help: '\nEvidence: rotation ages vs policy (store metadata; for PCI DSS 8.3.9 also passwords and account credentials\nno older than 90 days), the audit log hash chain, anomalies in the audit log, the access policy, encryption\nat rest of each store, TLS to each store and audit sink. Each control is pass, fail or not-measurable (the\ntool cannot observe it; the reason is given) — never pass on faith. Controls vh-secrets has no evidence for\n(GDPR Art. 30, PCI DSS 10.5, …) are left out: see docs/compliance.md.\nExit: 0 no control fails (some may be not-measurable), 1 at least one control fails.\nWith --json: {schema, generated_at, frameworks, status, summary, period, policy,\ncontrols:[{framework,control,title,status,reason,evidence:[{id,status,summary,source}]}],\nevidence:[{id,title,status,summary,source,findings:[{subject,status,detail}]}]}.',
});

export default spec;
export type ComplianceOptions = OptionsOf<typeof spec>;
