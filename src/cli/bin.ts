import { main } from './main.js';

// A reader that stops early (`parley chats | head -1`, `parley watch | head`) closes the pipe:
// writing more fails with EPIPE, which unhandled would end the process with a stack trace. The
// reader has what it wanted, so `parley` ends quietly and successfully, as other tools do. When
// stderr is the closed one there is nowhere left to report anything: its errors are dropped.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

// `serve` never returns from main(); every other command sets the exit code and ends.
process.exitCode = await main(process.argv.slice(2));
