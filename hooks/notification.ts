// notification: keeps the message, with its level, where `isoswarm memory list notifications/` finds it.
import type { HookHandler } from '../src/schemas/hook-types.js';

const notification: HookHandler = async (event, { memory }) => {
  if (event.message === undefined || event.message === '')
    throw new Error('notification needs a message (--message, or "message" on stdin)');
  await memory.set(`notifications/${event.at}-${event.id}`, {
    message: event.message,
    level: event.level ?? 'info',
    taskId: event.taskId ?? null,
    telemetry: event.telemetry ?? false,
    at: event.at,
  });
  return { message: `notification recorded (${event.level ?? 'info'})` };
};

export default notification;
