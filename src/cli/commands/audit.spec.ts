import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'audit',
  description: 'summarise the audit log and detect anomalies; `audit verify` checks the hash chain; `audit flush` delivers events spooled for remote sinks',
  arguments: [{ name: '[action]', description: 'report (default), verify or flush', choices: ['report', 'verify', 'flush'], default: 'report' }],
  options: [
    { flags: '--hours <n>', description: 'events from the last N hours (default 24)' },
    { flags: '--since <time>', description: 'events from this time (ISO 8601, or before now: 30m, 12h, 7d)' },
    { flags: '--until <time>', description: 'events until this time (ISO 8601 or before now)' },
    { flags: '--log <path>', description: 'audit log to read (default: the configured log)' },
    { flags: '--source <kind:path>', description: 'more sources: vault-audit:PATH (Vault/OpenBao file audit device), cloudtrail:PATH (repeatable)', repeatable: true },
    { flags: '--output <file>', description: 'also write the JSON report to this file (mode 0600); the summary is still printed' },
    { flags: '--fail-on-anomalies [severity]', description: 'exit 1 when an anomaly of this severity or worse is found (low, medium, high; default: any)' },
    { flags: '--anchor <file>', description: 'verify: signed head to check the log against (default: [audit] anchor)' },
  ],
  help: "\nWithout --source the configured audit log is read; --log names another one; with --source and no --log only\nthe named sources are read. Default period: the last 24 hours; earlier events are read as each actor's baseline.\nAnomalies: UNUSUAL_TIME, UNUSUAL_LOCATION, GEOGRAPHIC_VIOLATION, EXCESSIVE_ACCESS, CONCURRENT_ACCESS,\nFAILED_ATTEMPTS, PRIVILEGE_ESCALATION, SUSPICIOUS_PATTERN; thresholds in [audit.anomalies];\nVOICEHIVE_ALLOWED_IP_RANGES and VOICEHIVE_ALLOWED_COUNTRIES (comma separated) replace the configured lists.\nExit: report 0, anomalies or not (1 with --fail-on-anomalies when one is found); verify 0 intact, 1 broken\n(names the first broken line); flush 0 all delivered, 75 events still spooled; 66 log not found, 77 not readable.\nWith --json / --output: {schema, period, sources, totals, by_event, by_secret, by_actor, by_store, rotations,\nfailures, anomalies:[{kind,severity,actor,secret,window,count,reason,evidence}], anomaly_counts, input_problems, notes}.",
});

export default spec;
export type AuditOptions = OptionsOf<typeof spec>;
