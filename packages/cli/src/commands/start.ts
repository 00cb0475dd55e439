// gausslens start (`npm start`): the main job. Until the study exists, it is the doctor.
import { Command } from 'commander';
import { doctorCommand } from './doctor.ts';

export function startCommand(): Command {
  return new Command('start').description('run the main job on the embedded default data set').action(async () => {
    await doctorCommand().parseAsync([], { from: 'user' });
  });
}
