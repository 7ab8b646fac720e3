/**
 * Entry point of a load-generator child process (spawned by procs.ts `GenChild`). It runs one role and
 * answers the parent's commands over IPC. It exits on its own when the parent goes away or when the
 * job's hard deadline passes, so a crashed bench run never leaves a generator flooding the machine.
 */
import { createRole, type Role } from './generator.js';
import type { GenCommand, GenReply } from './procs.js';

let role: Role | undefined;

function reply(m: GenReply): void {
  if (process.connected) process.send!(m);
}

function exit(code: number): never {
  role?.close();
  process.exit(code);
}

process.on('disconnect', () => exit(0));

process.on('message', (msg: GenCommand) => {
  void handle(msg).catch((e: Error) => {
    reply({ ev: 'error', message: e.message });
    setTimeout(() => exit(1), 100);
  });
});

async function handle(msg: GenCommand): Promise<void> {
  switch (msg.cmd) {
    case 'start': {
      setTimeout(() => {
        process.stderr.write(`generator ${msg.job.role}: hard deadline of ${msg.maxMs} ms reached, exiting\n`);
        exit(3);
      }, msg.maxMs).unref();
      role = createRole(msg.job);
      await role.prepare();
      reply({ ev: 'ready' });
      return;
    }
    case 'go':
      role?.go();
      return;
    case 'snap':
      if (!role) throw new Error('snap before start');
      reply({ ev: 'stats', stats: role.snap(msg.reset) });
      return;
    case 'stop':
      if (!role) throw new Error('stop before start');
      reply({ ev: 'stats', stats: await role.stop(msg.drainMs) });
      return;
    case 'exit':
      exit(0);
  }
}
