// Preloaded (`node --import`) into a process the bench spawns: on exit it writes the process's own CPU time
// (user + system, µs) to the file named by BENCH_CPU_FILE. CPU time holds far better than wall time on a busy
// machine, so it is what to compare when the machine is not quiet.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ user, system }));
  });
}
