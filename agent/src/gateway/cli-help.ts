/** `--help` texts of `edgewatch-agent gateway` and its subcommands. */
export const GATEWAY_HELP = {
  main: `Usage: edgewatch-agent gateway <command> [options]

Tools for a building-site gateway next to Temco T3000 controllers (Modbus TCP).

Commands:
  read       Read T3 points (IN1, OUT3, VAR5) and raw Modbus registers from one controller
  simulate   Run simulated T3 controllers on this machine, for trying things without hardware
  discover   List the T3 controllers that answer Temco's UDP discovery

Run edgewatch-agent gateway <command> --help for a command's options.
`,
  read: `Usage: edgewatch-agent gateway read --host HOST [--port 502] [--unit 1]
                                   [--points IN1,OUT3,VAR5] [--raw SPEC]... [--timeout S]
                                   [--retries N] [--json]

Reads points of a T3 controller once and prints each one decoded: its value (analog values
in engineering units, digital ones 0/1), analog or digital, its T3000 range code, and auto or
manual. Registers next to each other are read in one request (at most 125 registers).

Options:
  --host HOST      The controller's address (required)
  --port PORT      Modbus TCP port (default 502)
  --unit N         Modbus unit id, the controller's Modbus id (default 1)
  --points LIST    T3 points, comma-separated: IN1-IN64, OUT1-OUT64, VAR1-VAR128
  --raw SPEC       A raw register, register:address[:type[:byteOrder[:scale]]]; repeatable.
                   register  holding, input, coil or discrete
                   address   0-based protocol address (the Modicon "40001" is 0)
                   type      INT16 UINT16 INT32 UINT32 INT64 UINT64 FLOAT32 FLOAT64 (default UINT16)
                   byteOrder ABCD (default), DCBA, BADC, CDAB; AB or BA for 16-bit types
                   scale     a factor the value is multiplied by
  --timeout S      Seconds to wait for the connection and for each answer (default 5)
  --retries N      Further attempts after a timeout or a refused connection (default 1)
  --json           Print one JSON object instead of a table
  -h, --help       Show this help

Exit status: 0 every point and register read, 1 some could not be read, 2 bad usage.

Examples:
  edgewatch-agent gateway read --host 192.168.1.20 --points IN1,OUT3,VAR5
  edgewatch-agent gateway read --host 10.0.0.7 --unit 3 --raw holding:100:FLOAT32:CDAB --raw coil:12 --json
`,
  simulate: `Usage: edgewatch-agent gateway simulate [--controllers N] [--delay-ms D] [--port P]
                                       [--host HOST] [--json]

Runs simulated T3 controllers, each a Modbus TCP server with the T3 register map and values
that change over time (analog sines, some below zero; digital points toggling; some points in
manual). Prints where they listen and runs until Ctrl-C.

Options:
  --controllers N  How many controllers, 1 to 100 (default 3)
  --delay-ms D     Answer time in milliseconds: a number, or MIN-MAX for a random time per
                   answer (default 2000-5000, like T3 hardware; 0 answers at once)
  --port P         First controller's port; the next ones use P+1, P+2 … (default: free ports)
  --host HOST      Address to listen on (default 127.0.0.1)
  --json           Print one JSON line describing the controllers instead of text
  -h, --help       Show this help

Example:
  edgewatch-agent gateway simulate --controllers 2 --delay-ms 0
  edgewatch-agent gateway read --host 127.0.0.1 --port <printed port> --points IN1,OUT1,VAR1
`,
} as const;

export const GATEWAY_EXAMPLES = {
  read: 'edgewatch-agent gateway read --host 192.168.1.20 --points IN1,OUT3,VAR5',
  simulate: 'edgewatch-agent gateway simulate --controllers 2 --delay-ms 0',
} as const;
