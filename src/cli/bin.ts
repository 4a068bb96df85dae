import { main } from './main.js';

// `serve` never returns from main(); every other command sets the exit code and ends.
process.exitCode = await main(process.argv.slice(2));
