/** What `GET /install.sh` fills into the install script template (agent/install/install.sh). */
export interface InstallScriptInputs {
  /** The template, with `@EDGEWATCH_URL@`, `@AGENT_SHA256@` and `@EDGEWATCH_UNIT@` in it. */
  template: string;
  /** The systemd unit (agent/install/edgewatch-agent.service), embedded in a quoted heredoc. */
  unit: string;
  /** The server's origin, e.g. `https://edgewatch.example.com`: the script's default `--url`. */
  url: string;
  /** Lowercase hex sha256 of the agent bundle the script downloads. */
  sha256: string;
}

// Both values land inside single quotes in shell: anything beyond these characters could break out.
const ORIGIN = /^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const UNIT_END = 'EDGEWATCH_UNIT';

/** True for an origin that is safe to embed in the script (host, optional port, nothing else). */
export const isPlainOrigin = (url: string): boolean => ORIGIN.test(url);

/**
 * The install script for one server and one agent bundle. Throws when an input could change
 * the script's meaning (an origin with shell metacharacters, a unit that ends the heredoc) or
 * when the template lacks a placeholder.
 */
export function renderInstallScript(inputs: InstallScriptInputs): string {
  if (!ORIGIN.test(inputs.url)) throw new Error(`not a plain http(s) origin: ${JSON.stringify(inputs.url)}`);
  if (!SHA256.test(inputs.sha256)) throw new Error(`not a lowercase hex sha256: ${JSON.stringify(inputs.sha256)}`);
  const unit = inputs.unit.replace(/\n+$/, '');
  if (unit.split('\n').includes(UNIT_END)) throw new Error(`the unit contains the heredoc terminator ${UNIT_END}`);
  const values: Record<string, string> = {
    '@EDGEWATCH_URL@': inputs.url,
    '@AGENT_SHA256@': inputs.sha256,
    '@EDGEWATCH_UNIT@': unit,
  };
  for (const placeholder of Object.keys(values)) {
    if (!inputs.template.includes(placeholder)) throw new Error(`the template has no ${placeholder}`);
  }
  // One pass, so a value that happens to contain a placeholder is never substituted again.
  return inputs.template.replace(/@(EDGEWATCH_URL|AGENT_SHA256|EDGEWATCH_UNIT)@/g, (m) => values[m]!);
}

/** The sha256 from a `sha256sum`-style line (`<hex>  <file>`), or undefined. */
export function parseSha256File(text: string): string | undefined {
  const hex = text.trim().split(/\s+/)[0]?.toLowerCase();
  return hex && SHA256.test(hex) ? hex : undefined;
}
