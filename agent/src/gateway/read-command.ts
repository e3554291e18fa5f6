import { createControllerReader, type CycleResult } from './controller-reader.ts';
import { createModbusConnection } from './modbus-connection.ts';
import { isWordRegister, type RawRegister } from './register-spec.ts';
import { pointId, type T3Point, type T3PointMeta } from './t3-profile.ts';

export interface ReadCommandOptions {
  host: string;
  port: number;
  unitId: number;
  points: T3Point[];
  registers: RawRegister[];
  timeoutMs: number;
  retries: number;
  json: boolean;
  write?: (text: string) => void;
}

/** One point as `gateway read --json` prints it; `value` is null when it could not be read. */
export interface PointOutput {
  point: string;
  type: string;
  number: number;
  value: number | null;
  digital: boolean | null;
  range: number | null;
  manual: boolean | null;
  ts: number | null;
}

/**
 * `edgewatch-agent gateway read`: one read of the given points (with their flags) and raw
 * registers. Returns 0 when everything was read, 1 otherwise.
 */
export async function readCommand(options: ReadCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const controller = `${options.host}:${options.port}`;
  const connection = createModbusConnection({
    host: options.host,
    port: options.port,
    unitId: options.unitId,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
  });
  const target = { id: controller, ...options };
  const reader = createControllerReader(target, connection);
  let result: CycleResult;
  try {
    result = await reader.readCycle({ meta: true });
  } finally {
    await connection.close();
  }

  const points: PointOutput[] = options.points.map((point) => {
    const value = result.values.find((v) => v.point.type === point.type && v.point.number === point.number);
    const meta: T3PointMeta | undefined = reader.meta(point);
    return {
      point: pointId(point),
      type: point.type,
      number: point.number,
      value: value?.value ?? null,
      digital: meta?.digital ?? null,
      range: meta?.range ?? null,
      manual: meta?.manual ?? null,
      ts: value?.ts ?? null,
    };
  });
  const registers = options.registers.map((register) => {
    const read = result.registers.find((r) => r.register === register);
    // JSON has no NaN: a float register holding NaN prints as null, with the raw text beside it.
    const value = read && Number.isFinite(read.value) ? read.value : null;
    return {
      ...register,
      value,
      ...(read && value === null ? { text: String(read.value) } : {}),
      ts: read?.ts ?? null,
    };
  });
  const errors = result.failures.map((f) => f.error.message);
  if (result.requests < result.planned) {
    errors.push(
      `${result.planned - result.requests} of ${result.planned} requests not sent: the controller stopped answering`,
    );
  }
  const complete = points.every((p) => p.value !== null) && registers.every((r) => r.ts !== null);

  if (options.json) {
    write(
      JSON.stringify({
        controller,
        host: options.host,
        port: options.port,
        unit: options.unitId,
        points,
        registers,
        requests: result.requests,
        latencyMs: result.latenciesMs.length ? Math.round(mean(result.latenciesMs)) : null,
        errors,
      }) + '\n',
    );
  } else {
    write(table(controller, options.unitId, result, points, registers, errors));
  }
  return complete ? 0 : 1;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function table(
  controller: string,
  unit: number,
  result: CycleResult,
  points: PointOutput[],
  registers: (RawRegister & { value: number | null; text?: string })[],
  errors: string[],
): string {
  const lines: string[] = [];
  const latency = result.latenciesMs.length ? `, ${Math.round(mean(result.latenciesMs))} ms an answer` : '';
  lines.push(`Controller ${controller} (unit ${unit}): ${result.requests} request(s)${latency}`, '');
  if (points.length > 0) {
    const rows = points.map((p) => [
      p.point,
      p.value === null ? '—' : String(p.value),
      p.digital === null ? '—' : p.digital ? 'digital' : 'analog',
      p.range === null ? '—' : String(p.range),
      p.manual === null ? '—' : p.manual ? 'manual' : 'auto',
    ]);
    lines.push(...columns([['point', 'value', 'kind', 'range', 'mode'], ...rows]), '');
  }
  if (registers.length > 0) {
    const rows = registers.map((r) => [
      r.name,
      r.value === null ? (r.text ?? '—') : String(r.value),
      isWordRegister(r)
        ? `${r.type} ${r.byteOrder ?? 'ABCD'}${r.scale === undefined ? '' : ` ×${r.scale}`}`
        : r.register,
    ]);
    lines.push(...columns([['register', 'value', 'as'], ...rows]), '');
  }
  for (const e of errors) lines.push(`✗ ${e}`);
  return lines.join('\n').replace(/\n*$/, '\n');
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}
