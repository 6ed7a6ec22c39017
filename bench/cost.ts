/**
 * Monthly AWS cost of the prod stage for a number of payments, from measured durations, units and log bytes.
 * Unit prices: AWS list prices, us-east-1 (the ones docs/infra-notes.md already used; eu-west-3 is within ~10 %
 * on these items), free tiers ignored. Assumptions that are not measured here are named in ASSUMPTIONS.
 */
export const PRICES = {
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
  /** Only for the cold-start discussion: one always-warm instance. */
  provisionedConcurrencyGbSecondArm: 0.0000033334,
  apiRestPerMillion: 3.5,
  wafWebAcl: 5,
  wafRule: 1,
  wafRequestsPerMillion: 0.6,
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  backupGbMonth: 0.1,
  secret: 0.4,
  secretsCallsPer10k: 0.05,
  appConfigReceived: 0.0008,
  appConfigCall: 0.0000002,
  kmsKey: 1,
  kmsRequestsPer10k: 0.03,
  cloudWatchMetric: 0.3,
  cloudWatchAlarmMetric: 0.1,
  cloudWatchLogsIngestGb: 0.5,
  xrayTracesPerMillion: 5,
  eventBridgeCustomEventsPerMillion: 1,
  eventArchiveProcessedGb: 0.1,
} as const;

export const ASSUMPTIONS = {
  /** Customer status polls per payment (infra-notes). */
  statusPollsPerPayment: 4,
  /** Cold starts per deployed function per month, ~30 % of 10,000 (infra-notes: ~3,000). */
  coldStartShare: 0.3,
  /** Hours a day with traffic (Burkina Faso daytime): how many cache windows expire and are refilled. */
  activeHoursPerDay: 12,
  /** Lambda's START/END/REPORT lines per invocation (bytes). */
  platformLogBytesPerInvocation: 350,
  /** API Gateway JSON access log line + execution log at INFO (no data tracing), per request (bytes). */
  apiLogBytesPerRequest: 2_500,
  /** WAF log record per request (bytes). */
  wafLogBytesPerRequest: 1_500,
  /** Billed custom metrics (names × dimension sets, infra-notes) and alarm metrics (29 in 18 alarms). */
  customMetrics: 40,
  alarmMetrics: 29,
  /** Customer-managed KMS keys: table, PII, backup, alerts, the event DLQ. */
  kmsKeys: 5,
  /** Secrets: PayDunya keys, callback-signing secret. */
  secrets: 2,
  /** AWS Backup copies kept: 35 daily + 12 monthly (prod). */
  backupCopies: 47,
  /**
   * Payment events per payment: one outcome event (payment.completed, .failed...); refunds add one each, and are
   * rare next to payments. Not measured here: the stream publisher runs outside the benchmarked handlers.
   */
  eventsPerPayment: 1,
  /** Bytes of one event as EventBridge bills and archives it (≈ 0.7 KB measured in local mode's events.jsonl). */
  eventBytes: 700,
  /**
   * Stream publisher invocations per payment: at quiet times one per order write (create, PENDING, outcome),
   * fewer under load as the 1 s batching window groups records. 256 MB, ~40 ms each (an assumption: one PutEvents).
   */
  publisherInvocationsPerPayment: 3,
  publisherMemoryMb: 256,
  publisherDurationMs: 40,
  /** A PayDunya round trip from Lambda, for the sensitivity line (not measurable on this machine). */
  paydunyaRoundTripMs: 1_000,
} as const;

export interface CostInput {
  readonly payments: number;
  /** Measured handler durations (ms, p50) and configured memory (MB) of the deployed functions. */
  readonly functions: readonly {
    readonly name: string;
    readonly memoryMb: number;
    readonly invocationsPerPayment: number;
    readonly durationMs: number;
    readonly coldStartMs: number;
    /** PayDunya calls per invocation (for the sensitivity line). */
    readonly paydunyaCalls: number;
    /** Secrets it reads and whether it reads the flags. */
    readonly secrets: number;
    readonly readsFlags: boolean;
    readonly kmsPerInvocation: number;
  }[];
  readonly writeUnitsPerPayment: number;
  readonly readUnitsPerPayment: number;
  readonly storedBytesPerPayment: number;
  /** Bytes the handlers log per payment (measured over one lifecycle, one status poll). */
  readonly handlerLogBytesPerPayment: number;
  readonly handlerLogBytesPerStatusPoll: number;
  readonly wafRules: number;
}

export interface CostLine {
  readonly item: string;
  readonly unitPrice: string;
  readonly usage: string;
  readonly usd: number;
}

const DAYS = 30;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export const monthlyCost = (input: CostInput, extraMsPerPaydunyaCall = 0): CostLine[] => {
  const n = input.payments;
  const requests = n * input.functions.reduce((total, fn) => total + fn.invocationsPerPayment, 0);
  const invocations = (fn: CostInput['functions'][number]) => n * fn.invocationsPerPayment;
  const coldStarts = (fn: CostInput['functions'][number]) =>
    Math.min(invocations(fn), n * ASSUMPTIONS.coldStartShare);
  const windows = (seconds: number) => (DAYS * ASSUMPTIONS.activeHoursPerDay * 3600) / seconds;

  const publisherInvocations = n * ASSUMPTIONS.publisherInvocationsPerPayment;
  const events = n * ASSUMPTIONS.eventsPerPayment;
  let gbSeconds =
    (ASSUMPTIONS.publisherMemoryMb / 1024) *
    ((publisherInvocations * ASSUMPTIONS.publisherDurationMs) / 1000);
  for (const fn of input.functions) {
    const billedMs = Math.ceil(fn.durationMs + fn.paydunyaCalls * extraMsPerPaydunyaCall);
    // Since August 2025 the INIT phase of managed runtimes is billed like the invocation.
    gbSeconds +=
      (fn.memoryMb / 1024) *
      ((invocations(fn) * billedMs + coldStarts(fn) * Math.ceil(fn.coldStartMs)) / 1000);
  }

  // Cached values are fetched again on each cold start and once per expired cache window of a warm container.
  let secretCalls = 0;
  let flagCalls = 0;
  let flagsReceived = 0;
  let kmsCalls = 0;
  for (const fn of input.functions) {
    const refills = Math.min(invocations(fn), coldStarts(fn) + windows(300));
    secretCalls += fn.secrets * refills;
    if (fn.readsFlags) {
      flagCalls += Math.min(invocations(fn), coldStarts(fn) + windows(30)) + coldStarts(fn);
      flagsReceived += coldStarts(fn);
    }
    kmsCalls += invocations(fn) * fn.kmsPerInvocation;
  }
  // DynamoDB asks KMS for the table key about once per 5 minutes per caller while in use.
  const tableKeyCalls = input.functions.length * windows(300);
  kmsCalls += tableKeyCalls;

  const wru = n * input.writeUnitsPerPayment;
  const rru = n * input.readUnitsPerPayment;
  const storedGb = (n * input.storedBytesPerPayment) / 1024 ** 3;
  const logBytes =
    n * input.handlerLogBytesPerPayment +
    n * (ASSUMPTIONS.statusPollsPerPayment - 1) * input.handlerLogBytesPerStatusPoll +
    requests *
      (ASSUMPTIONS.platformLogBytesPerInvocation +
        ASSUMPTIONS.apiLogBytesPerRequest +
        ASSUMPTIONS.wafLogBytesPerRequest);
  const logGb = logBytes / 1024 ** 3;

  return [
    {
      item: 'API Gateway REST requests',
      unitPrice: `$${PRICES.apiRestPerMillion} / million`,
      usage: fmt(requests),
      usd: (requests / 1e6) * PRICES.apiRestPerMillion,
    },
    {
      item: 'Lambda requests (API functions + stream publisher)',
      unitPrice: `$${PRICES.lambdaRequestPerMillion} / million`,
      usage: fmt(requests + publisherInvocations),
      usd: ((requests + publisherInvocations) / 1e6) * PRICES.lambdaRequestPerMillion,
    },
    {
      item: 'EventBridge payment events (custom bus) + archive',
      unitPrice: `$${PRICES.eventBridgeCustomEventsPerMillion} / million, $${PRICES.eventArchiveProcessedGb} / GB archived`,
      usage: `${fmt(events)} events`,
      usd:
        (events / 1e6) * PRICES.eventBridgeCustomEventsPerMillion +
        ((events * ASSUMPTIONS.eventBytes) / 1024 ** 3) * PRICES.eventArchiveProcessedGb,
    },
    {
      item: 'Lambda compute, arm64 (invocations + billed INIT)',
      unitPrice: `$${PRICES.lambdaGbSecondArm} / GB-s`,
      usage: `${gbSeconds.toFixed(1)} GB-s`,
      usd: gbSeconds * PRICES.lambdaGbSecondArm,
    },
    {
      item: `WAF web ACL + ${input.wafRules} rules`,
      unitPrice: `$${PRICES.wafWebAcl} / ACL, $${PRICES.wafRule} / rule`,
      usage: '1 ACL',
      usd: PRICES.wafWebAcl + input.wafRules * PRICES.wafRule,
    },
    {
      item: 'WAF requests',
      unitPrice: `$${PRICES.wafRequestsPerMillion} / million`,
      usage: fmt(requests),
      usd: (requests / 1e6) * PRICES.wafRequestsPerMillion,
    },
    {
      item: 'DynamoDB on-demand writes',
      unitPrice: `$${PRICES.dynamoWritePerMillion} / million WRU`,
      usage: `${fmt(wru)} WRU`,
      usd: (wru / 1e6) * PRICES.dynamoWritePerMillion,
    },
    {
      item: 'DynamoDB on-demand reads',
      unitPrice: `$${PRICES.dynamoReadPerMillion} / million RRU`,
      usage: `${fmt(rru)} RRU`,
      usd: (rru / 1e6) * PRICES.dynamoReadPerMillion,
    },
    {
      item: 'DynamoDB storage + PITR (first month)',
      unitPrice: `$${PRICES.dynamoStorageGbMonth} + $${PRICES.dynamoPitrGbMonth} / GB-month`,
      usage: `${storedGb.toFixed(3)} GB`,
      usd: storedGb * (PRICES.dynamoStorageGbMonth + PRICES.dynamoPitrGbMonth),
    },
    {
      item: `AWS Backup (${ASSUMPTIONS.backupCopies} copies kept)`,
      unitPrice: `$${PRICES.backupGbMonth} / GB-month`,
      usage: `${(storedGb * ASSUMPTIONS.backupCopies).toFixed(2)} GB`,
      usd: storedGb * ASSUMPTIONS.backupCopies * PRICES.backupGbMonth,
    },
    {
      item: 'Secrets Manager secrets',
      unitPrice: `$${PRICES.secret} / secret-month`,
      usage: `${ASSUMPTIONS.secrets} secrets`,
      usd: ASSUMPTIONS.secrets * PRICES.secret,
    },
    {
      item: 'Secrets Manager calls (300 s cache)',
      unitPrice: `$${PRICES.secretsCallsPer10k} / 10,000`,
      usage: fmt(secretCalls),
      usd: (secretCalls / 1e4) * PRICES.secretsCallsPer10k,
    },
    {
      item: 'AppConfig configurations received (cold starts)',
      unitPrice: `$${PRICES.appConfigReceived} each`,
      usage: fmt(flagsReceived),
      usd: flagsReceived * PRICES.appConfigReceived,
    },
    {
      item: 'AppConfig calls (30 s cache)',
      unitPrice: `$${PRICES.appConfigCall} each`,
      usage: fmt(flagCalls),
      usd: flagCalls * PRICES.appConfigCall,
    },
    {
      item: `KMS keys`,
      unitPrice: `$${PRICES.kmsKey} / key-month`,
      usage: `${ASSUMPTIONS.kmsKeys} keys`,
      usd: ASSUMPTIONS.kmsKeys * PRICES.kmsKey,
    },
    {
      item: 'KMS requests (PII data keys, table key)',
      unitPrice: `$${PRICES.kmsRequestsPer10k} / 10,000`,
      usage: fmt(kmsCalls),
      usd: (kmsCalls / 1e4) * PRICES.kmsRequestsPer10k,
    },
    {
      item: 'CloudWatch custom metrics (EMF)',
      unitPrice: `$${PRICES.cloudWatchMetric} / metric-month`,
      usage: `${ASSUMPTIONS.customMetrics} metrics`,
      usd: ASSUMPTIONS.customMetrics * PRICES.cloudWatchMetric,
    },
    {
      item: 'CloudWatch alarms',
      unitPrice: `$${PRICES.cloudWatchAlarmMetric} / alarm metric`,
      usage: `${ASSUMPTIONS.alarmMetrics} alarm metrics`,
      usd: ASSUMPTIONS.alarmMetrics * PRICES.cloudWatchAlarmMetric,
    },
    {
      item: 'CloudWatch Logs ingestion',
      unitPrice: `$${PRICES.cloudWatchLogsIngestGb} / GB`,
      usage: `${logGb.toFixed(3)} GB`,
      usd: logGb * PRICES.cloudWatchLogsIngestGb,
    },
    {
      item: 'X-Ray traces',
      unitPrice: `$${PRICES.xrayTracesPerMillion} / million`,
      usage: fmt(requests),
      usd: (requests / 1e6) * PRICES.xrayTracesPerMillion,
    },
  ];
};

/** Items that grow with the number of payments (the rest is a fixed monthly charge). */
const VARIABLE_PREFIXES = [
  'API Gateway',
  'Lambda',
  'EventBridge',
  'WAF requests',
  'DynamoDB',
  'AWS Backup',
  'Secrets Manager calls',
  'AppConfig',
  'KMS requests',
  'CloudWatch Logs',
  'X-Ray',
];

export const isVariable = (item: string): boolean =>
  VARIABLE_PREFIXES.some((prefix) => item.startsWith(prefix));
