import { startSimulator, type Simulator } from './simulator/index.ts';
import type { AnswerDelay } from './simulator/modbus-server.ts';

export interface SimulateCommandOptions {
  controllers: number;
  delay: AnswerDelay;
  host: string;
  port?: number;
  json: boolean;
  write?: (text: string) => void;
  /** Resolves when the simulator should stop. Default: SIGINT or SIGTERM. */
  until?: Promise<unknown>;
}

/**
 * `edgewatch-agent gateway simulate`: starts the simulated controllers, prints where they
 * listen, and runs until stopped (exit 0).
 */
export async function simulateCommand(options: SimulateCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const until = options.until ?? stopSignal();
  const sim = await startSimulator({
    controllers: options.controllers,
    delay: options.delay,
    host: options.host,
    port: options.port,
  });
  write(options.json ? describeJson(sim) : describeText(sim, options.delay));
  await until;
  await sim.close();
  return 0;
}

function describeJson(sim: Simulator): string {
  return (
    JSON.stringify({
      host: sim.host,
      controllers: sim.controllers.map((c) => ({ serial: c.serial, modbusId: c.modbusId, port: c.modbus.port })),
      parts: sim.parts.flatMap((p) => p.describe()),
    }) + '\n'
  );
}

function describeText(sim: Simulator, delay: AnswerDelay): string {
  const answers = typeof delay === 'number' ? `${delay} ms` : `${delay.minMs}-${delay.maxMs} ms`;
  const first = sim.controllers[0]!;
  return [
    `T3000 simulator: ${sim.controllers.length} controller(s) on ${sim.host}, answering in ${answers}`,
    ...sim.controllers.map((c) => `  controller ${c.serial}  modbus ${sim.host}:${c.modbus.port}`),
    ...sim.parts.flatMap((p) => p.describe().map((line) => `  ${line}`)),
    `Try: edgewatch-agent gateway read --host ${sim.host} --port ${first.modbus.port} --points IN1,IN3,OUT1,VAR1`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
