// post-edit: counts edits per file and, with --memory-key, stores the edit under that key.
import { pathKey } from '../src/memory/keys.js';
import type { HookHandler } from '../src/schemas/hook-types.js';

const postEdit: HookHandler = async (event, { memory }) => {
  if (!event.file) throw new Error('post-edit needs a file (--file, or tool_input.file_path on stdin)');
  const rec = (await memory.update(`edits/${pathKey(event.file)}`, (old) => {
    const o = (old as { count?: number } | undefined) ?? {};
    return {
      file: event.file,
      count: (o.count ?? 0) + 1,
      lastAt: event.at,
      lastTool: event.toolName ?? null,
      taskId: event.taskId ?? null,
    };
  })) as { count: number };
  if (event.memoryKey) {
    await memory.set(event.memoryKey, {
      file: event.file,
      at: event.at,
      taskId: event.taskId ?? null,
      tool: event.toolName ?? null,
    });
  }
  return { message: `edit of ${event.file} recorded (${rec.count} so far)`, data: rec };
};

export default postEdit;
