import type { Queue } from 'bullmq';

/**
 * Makes sure a job with this id is waiting or running: adds it when Redis has lost it (restart,
 * FLUSHALL), retries it when it sits among the failed ones. Adding an id that exists is a no-op in
 * BullMQ, which is what makes the sweeper safe to run at any time.
 */
export async function ensureJob(
  queue: Queue,
  jobId: string,
  add: () => Promise<unknown>,
): Promise<'added' | 'retried' | 'present'> {
  const job = await queue.getJob(jobId);
  if (!job) {
    await add();
    return 'added';
  }
  if (await job.isFailed()) {
    await job.retry('failed');
    return 'retried';
  }
  return 'present';
}
