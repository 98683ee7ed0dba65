// post-task: closes the task that pre-task opened and reports its duration.
import type { HookHandler } from '../src/schemas/hook-types.js';

const postTask: HookHandler = async (event, { memory }) => {
  const taskId = event.taskId ?? event.sessionId ?? 'default';
  let durationMs: number | null = null;
  const rec = await memory.update(`tasks/${taskId}`, (old) => {
    const o = (old as { startedAt?: string } | undefined) ?? {};
    if (o.startedAt) durationMs = Date.parse(event.at) - Date.parse(o.startedAt);
    return { ...o, taskId, endedAt: event.at, durationMs };
  });
  const message =
    durationMs === null
      ? `task ${taskId} ended (no matching pre-task, so no duration)`
      : `task ${taskId} took ${(durationMs / 1000).toFixed(3)} s`;
  return { message, data: rec };
};

export default postTask;
