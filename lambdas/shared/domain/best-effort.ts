import type { Alert, AlertPublisher, Telemetry } from './ports';

type Deps = { readonly telemetry: Telemetry };

/**
 * Alerts and warnings never undo what was recorded nor fail the request that recorded it: a failure to send one is
 * logged and the caller goes on.
 */
export const bestEffort = async (ctx: Deps, what: string, send: () => Promise<unknown>): Promise<void> => {
  try {
    await send();
  } catch (error) {
    ctx.telemetry.warn(`${what} failed; what was recorded stands`, {
      error: error instanceof Error ? error.name : String(error),
    });
  }
};

export const bestEffortAlert = (
  ctx: Deps & { readonly alerts: AlertPublisher },
  alert: Alert,
): Promise<void> => bestEffort(ctx, `alert ${alert.type}`, () => ctx.alerts.publish(alert));
