/** Thresholds for `vh-secrets audit` anomaly detection; every field has a default and a config key. */
export interface AnomalyConfig {
  /** Working hours in `timezone`, [startHour, endHour) — access outside them is UNUSUAL_TIME. */
  businessHours: { start: number; end: number };
  /** IANA time zone for businessHours (default UTC). */
  timezone: string;
  /** Saturday and Sunday count as unusual too. */
  weekendsUnusual: boolean;
  /** An actor's accesses in one window above max(minCount, factor × its own baseline per window). */
  excessiveAccess: { windowMinutes: number; minCount: number; factor: number };
  /** Failures by one actor (or on one secret) within the window. */
  failedAttempts: { windowMinutes: number; threshold: number };
  /** The same actor (or the same secret) used from more than one host / source IP within the window. */
  concurrentAccess: { windowSeconds: number };
  /** One actor touching at least this many distinct secrets within the window (enumeration). */
  enumeration: { windowMinutes: number; distinctSecrets: number };
  /** CIDR ranges source IPs must fall in (empty: no check). `VOICEHIVE_ALLOWED_IP_RANGES` (comma separated). */
  allowedIpRanges: string[];
  /** ISO 3166 alpha-2 countries (empty: no check). `VOICEHIVE_ALLOWED_COUNTRIES` (comma separated). */
  allowedCountries: string[];
  /** MaxMind-format (.mmdb) country or city database used to place source IPs. */
  geoipDb: string | undefined;
  /**
   * How far before the reported period the log is read to learn each actor's habits (its baseline). Bounded, so
   * a report of the last day on a year of log reads a month, not the year. 30 days: UNUSUAL_TIME needs three
   * earlier days, and PRIVILEGE_ESCALATION ("never did this before") must remember a monthly routine, or a
   * weekly revoke would be HIGH each week. Shorter is faster and forgets more.
   */
  baselineHours: number;
}

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = {
  businessHours: { start: 7, end: 20 },
  timezone: 'UTC',
  weekendsUnusual: false,
  excessiveAccess: { windowMinutes: 60, minCount: 50, factor: 5 },
  failedAttempts: { windowMinutes: 15, threshold: 5 },
  concurrentAccess: { windowSeconds: 60 },
  enumeration: { windowMinutes: 60, distinctSecrets: 20 },
  allowedIpRanges: [],
  allowedCountries: [],
  geoipDb: undefined,
  baselineHours: 720,
};
