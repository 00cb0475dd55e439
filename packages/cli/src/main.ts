// gausslens: the command line. Every command is a file in commands/; errors end as one line.
import { Command, CommanderError } from 'commander';
import { destroyDevice } from '@gausslens/kernels';
import { doctorCommand } from './commands/doctor.ts';
import { startCommand } from './commands/start.ts';
import { benchCommand } from './commands/bench.ts';
import { gaussianCommand } from './commands/gaussian.ts';
import { denoiseCommand } from './commands/denoise.ts';
import { sampleCommand } from './commands/sample.ts';
import { trainCommand } from './commands/train.ts';
import { distillCommand } from './commands/distill.ts';
import { viewCommand } from './commands/view.ts';
import { sweepCommand } from './commands/sweep.ts';
import { analyzeCommand } from './commands/analyze.ts';

export function buildProgram(): Command {
  const program = new Command('gausslens')
    .description('WebGPU kernels and a research tool for the hidden Gaussian structure of diffusion models')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(doctorCommand());
  program.addCommand(startCommand());
  program.addCommand(benchCommand());
  program.addCommand(gaussianCommand());
  program.addCommand(denoiseCommand());
  program.addCommand(sampleCommand());
  program.addCommand(trainCommand());
  program.addCommand(distillCommand());
  program.addCommand(viewCommand());
  program.addCommand(analyzeCommand());
  program.addCommand(sweepCommand());
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : 2;
    else {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`gausslens: ${msg.split('\n')[0]}\n`);
      if (process.env.GAUSSLENS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      code = 1;
    }
  } finally {
    await destroyDevice().catch(() => undefined);
  }
  return code;
}

process.exitCode = await main(process.argv.slice(2));
