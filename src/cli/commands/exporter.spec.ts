import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'exporter',
  description: 'serve the health metrics for Prometheus to scrape (/metrics) and a liveness check (/healthz)',
  options: [
    { flags: '--listen <host:port>', description: 'address to listen on (default 127.0.0.1:9469; port 0: any free port)' },
    { flags: '--interval <duration>', description: 'how often to evaluate health (default 60s, at least 1s)' },
    { flags: '--allow-remote', description: 'allow a --listen address that is not loopback (e.g. 0.0.0.0:9469 in a pod)' },
    { flags: '--metrics-names', description: 'also export one series per secret, labelled with its name (names can be sensitive)' },
  ],
  help: "\n/metrics serves the metrics of `health --metrics-file` (and the exporter's own voicehive_secrets_exporter_*)\nfrom the last evaluation; evaluations run in the background every --interval, never two at once, each within\n--timeout (default 20s); a scrape before the first has finished waits for it. /healthz: 200 while the last\nevaluation finished less than 3 intervals ago, else 503. Binds loopback only unless --allow-remote. Prints the\nbound address, then one line per evaluation (counts and codes, never a value or a name) on stderr.\nSIGTERM / SIGINT: stops serving and exits 0. Exit 64 for a bad --listen or --interval or a non-loopback\n--listen without --allow-remote; 69 when the address is in use; 77 when the port needs privileges.",
  examples: [
    'vh-secrets exporter',
    'vh-secrets exporter --listen 0.0.0.0:9469 --allow-remote --interval 2m',
  ],
});

export default spec;
export type ExporterOptions = OptionsOf<typeof spec>;
