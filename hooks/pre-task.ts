// pre-task: remembers when a task started (and what it is) so post-task can report its duration.
import type { HookHandler } from '../src/schemas/hook-types.js';

const preTask: HookHandler = async (event, { memory }) => {
  const taskId = event.taskId ?? event.sessionId ?? 'default';
  await memory.set(`tasks/${taskId}`, {
    taskId,
    description: event.description ?? null,
    startedAt: event.at,
    cwd: event.cwd ?? null,
    source: event.source,
  });
  return { message: `task ${taskId} started`, data: { taskId } };
};

export default preTask;
