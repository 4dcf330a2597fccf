import { Cron } from 'croner';
import type { Logger } from 'pino';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Thrown by a run to end the schedule: starting the next run on time would only repeat what stopped this one. */
export class ScheduleHaltError extends Error {
  override name = 'ScheduleHaltError';
}

export interface ScheduleOptions {
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: string;
  timezone?: string;
  log: Logger;
  /** One run; errors are logged and the schedule goes on, except a ScheduleHaltError, which ends it. */
  runOnce: () => Promise<void>;
}

/** Why a schedule ended by itself: a run halted it, or its expression has no date left (a year field, say). */
export type ScheduleEnd = { halted: string } | { exhausted: true };

export interface Schedule {
  nextRun(): Date | null;
  /** Stops starting runs; resolves once a run in progress has ended. */
  stop(): Promise<void>;
  /** Resolves once the schedule has ended by itself, not by `stop()`. */
  ended: Promise<ScheduleEnd>;
}

/** Starts a run on each tick of the cron expression, never two at once: a tick during a run is skipped. */
export function startSchedule(opts: ScheduleOptions): Schedule {
  let current: Promise<void> | null = null;
  let job: Cron;
  let end!: (why: ScheduleEnd) => void;
  const ended = new Promise<ScheduleEnd>((resolve) => (end = resolve));
  if (opts.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: opts.timezone });
    } catch {
      throw new ScheduleError(`--timezone "${opts.timezone}" is not a time zone: give an IANA name such as Europe/London`);
    }
  }
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
          if (error instanceof ScheduleHaltError) {
            job.stop();
            opts.log.error({ err: error.message }, 'schedule stopped: no further runs will start');
            end({ halted: error.message });
            return;
          }
          opts.log.error({ err: error instanceof Error ? error.message : String(error) }, 'scheduled run failed');
        });
        await current;
        current = null;
        if (job.isStopped()) return;
        const next = job.nextRun();
        opts.log.info({ next: next?.toISOString() }, 'scheduled run ended');
        if (next === null) {
          // Nothing is pending any more: without this the process would sit with no timer and end without a word.
          job.stop();
          opts.log.info({ cron: opts.cron }, 'the cron expression fires no more: schedule ended');
          end({ exhausted: true });
        }
      },
    );
  } catch (error) {
    throw new ScheduleError(`invalid cron expression "${opts.cron}": ${error instanceof Error ? error.message : String(error)}`);
  }
  const first = job.nextRun();
  if (first === null) {
    // Nothing would ever be pending: the process would sit with no timer and no run, and end without a word.
    job.stop();
    throw new ScheduleError(`--cron "${opts.cron}" never fires: no date matches it`);
  }
  opts.log.info({ cron: opts.cron, next: first.toISOString() }, 'schedule started');
  return {
    ended,
    nextRun: () => job.nextRun(),
    stop: async () => {
      job.stop();
      await current;
    },
  };
}
