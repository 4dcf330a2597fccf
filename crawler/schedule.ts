import { Cron } from 'croner';
import type { Logger } from 'pino';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export interface ScheduleOptions {
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: string;
  timezone?: string;
  log: Logger;
  /** One run; errors are logged and the schedule goes on. */
  runOnce: () => Promise<void>;
}

export interface Schedule {
  nextRun(): Date | null;
  /** Stops starting runs; resolves once a run in progress has ended. */
  stop(): Promise<void>;
}

/** Starts a run on each tick of the cron expression, never two at once: a tick during a run is skipped. */
export function startSchedule(opts: ScheduleOptions): Schedule {
  let current: Promise<void> | null = null;
  let job: Cron;
  try {
    job = new Cron(
      opts.cron,
      {
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        protect: () => opts.log.warn({ cron: opts.cron }, 'a scheduled run is due but the previous one is still going: skipping this tick'),
      },
      async () => {
        opts.log.info('scheduled run starting');
        current = opts.runOnce().catch((error: unknown) => {
          opts.log.error({ err: error instanceof Error ? error.message : String(error) }, 'scheduled run failed');
        });
        await current;
        current = null;
        const next = job.nextRun();
        opts.log.info({ next: next?.toISOString() }, 'scheduled run ended');
      },
    );
  } catch (error) {
    throw new ScheduleError(`invalid cron expression "${opts.cron}": ${error instanceof Error ? error.message : String(error)}`);
  }
  opts.log.info({ cron: opts.cron, next: job.nextRun()?.toISOString() }, 'schedule started');
  return {
    nextRun: () => job.nextRun(),
    stop: async () => {
      job.stop();
      await current;
    },
  };
}
