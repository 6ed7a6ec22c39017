import * as z from 'zod';

/** Which PayDunya call a wire-level fault applies to. */
export type FaultTarget = 'create' | 'confirm';

/** A canned failure answer; `httpStatus` >= 500 makes it an HTML error page, as a real gateway would send. */
export interface FailureAnswer {
  httpStatus?: number;
  responseCode?: string;
  responseText?: string;
}

/**
 * Switches that make the simulator misbehave the way the real gateway can.
 * Plain mutable fields, so tests can flip them directly; the control endpoint goes through `applyFaultPatch`.
 */
export class SimulatorFaults {
  dropIpn = false;
  ipnCopies = 1;
  ipnAmountDelta = 0;
  confirmAmountDelta = 0;
  confirmStatusOverride: string | null = null;
  createFailure: FailureAnswer | null = null;
  confirmFailure: FailureAnswer | null = null;
  createDelayMs = 0;
  confirmDelayMs = 0;
  malformedJson: FaultTarget | null = null;
  connectionReset: FaultTarget | null = null;
  /** PayDunya down: every API and checkout request has its connection closed at once, unanswered. */
  down = false;
  /**
   * How many more create (confirm) calls the wire-level faults above apply to; null means all of them. Lets a
   * test fail the next N calls and then recover ("500 twice, then fine").
   */
  createFaultsRemaining: number | null = null;
  confirmFaultsRemaining: number | null = null;
  /**
   * Disbursement (PUSH) faults. The first three apply to the NEXT submit only, then clear themselves.
   * - `disburseLoseAnswer`: the submit is carried out (counted, pending, then success) but its connection is
   *   destroyed before any answer is written, like a reset: the caller cannot know the money moved.
   * - `disburseFail`: the next disbursement submitted ends `failed` instead of `success`.
   * - `disburseInsufficientBalance`: the next submit is refused (HTTP 200, non-"00", "Solde insuffisant"); nothing
   *   is paid and the disbursement stays `created`.
   * - `disburseDelayMs`: how long a submitted disbursement stays `pending` before it ends and its callback is sent.
   */
  disburseLoseAnswer = false;
  disburseFail = false;
  disburseInsufficientBalance = false;
  disburseDelayMs = 0;

  reset(): void {
    Object.assign(this, snapshot(new SimulatorFaults()));
  }

  toJSON(): FaultValues {
    return snapshot(this);
  }
}

/** The data part of SimulatorFaults, as the control endpoint shows it. */
export type FaultValues = Omit<SimulatorFaults, 'reset' | 'toJSON'>;

function snapshot(f: SimulatorFaults): FaultValues {
  return {
    dropIpn: f.dropIpn,
    ipnCopies: f.ipnCopies,
    ipnAmountDelta: f.ipnAmountDelta,
    confirmAmountDelta: f.confirmAmountDelta,
    confirmStatusOverride: f.confirmStatusOverride,
    createFailure: f.createFailure ? { ...f.createFailure } : null,
    confirmFailure: f.confirmFailure ? { ...f.confirmFailure } : null,
    createDelayMs: f.createDelayMs,
    confirmDelayMs: f.confirmDelayMs,
    malformedJson: f.malformedJson,
    connectionReset: f.connectionReset,
    down: f.down,
    createFaultsRemaining: f.createFaultsRemaining,
    confirmFaultsRemaining: f.confirmFaultsRemaining,
    disburseLoseAnswer: f.disburseLoseAnswer,
    disburseFail: f.disburseFail,
    disburseInsufficientBalance: f.disburseInsufficientBalance,
    disburseDelayMs: f.disburseDelayMs,
  };
}

const failureSchema = z
  .strictObject({
    httpStatus: z.int().min(200).max(599).optional(),
    responseCode: z.string().min(1).max(16).optional(),
    responseText: z.string().max(500).optional(),
  })
  .nullable();

const target = z.enum(['create', 'confirm']).nullable();
const delay = z.int().min(0).max(120_000);
const delta = z.int().min(-1_000_000_000).max(1_000_000_000);
const remaining = z.int().min(0).max(1_000_000).nullable();

/** Strict so that a typo in a field name is a 400, not a silently ignored switch. */
export const faultPatchSchema = z.strictObject({
  dropIpn: z.boolean().optional(),
  ipnCopies: z.int().min(1).max(10).optional(),
  ipnAmountDelta: delta.optional(),
  confirmAmountDelta: delta.optional(),
  // Any string, so a test can make confirm report statuses PayDunya never documented (`expired`, `canceled`).
  confirmStatusOverride: z.string().min(1).max(40).nullable().optional(),
  createFailure: failureSchema.optional(),
  confirmFailure: failureSchema.optional(),
  createDelayMs: delay.optional(),
  confirmDelayMs: delay.optional(),
  malformedJson: target.optional(),
  connectionReset: target.optional(),
  down: z.boolean().optional(),
  createFaultsRemaining: remaining.optional(),
  confirmFaultsRemaining: remaining.optional(),
  disburseLoseAnswer: z.boolean().optional(),
  disburseFail: z.boolean().optional(),
  disburseInsufficientBalance: z.boolean().optional(),
  disburseDelayMs: delay.optional(),
});

export type FaultPatch = z.infer<typeof faultPatchSchema>;

/** Validates `input` and applies it; returns an error message instead of throwing on bad input. */
export function applyFaultPatch(
  faults: SimulatorFaults,
  input: unknown,
): { ok: true } | { ok: false; error: string } {
  const parsed = faultPatchSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) Object.assign(faults, { [key]: value });
  }
  return { ok: true };
}

/**
 * Faults given as JSON in the environment (`SIM_FAULTS='{"createDelayMs":2000}'`) for local mode. Throws with the
 * reason on bad input, so a typo stops the start instead of silently running without the fault.
 */
export function applyFaultsFromEnv(faults: SimulatorFaults, value: string | undefined): FaultPatch {
  if (value === undefined || value.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error('SIM_FAULTS is not valid JSON');
  }
  const applied = applyFaultPatch(faults, json);
  if (!applied.ok) throw new Error(`SIM_FAULTS: ${applied.error}`);
  return json as FaultPatch;
}
