"""How long `pagesight search` and `pagesight ask` take from the shell, start to finish, on an existing lite
collection: the time a user waits at the prompt, interpreter start and model loading included.

    python bench/cli.py [--data DIR] [--runs 5] [--server] [--out bench/results/cli.json]

Without --data, the sample document is ingested into a temporary data folder first. "cold" runs follow a
drop of the operating system's page cache (when this process may drop it: as root on Linux), so files
are read from disk as after a reboot; "warm" runs follow each other. Each figure is the median wall time
of --runs runs of the command as a new process (the console script), on one thread.

With --server, `pagesight serve` runs on the data folder (with API keys, as a team's server would) and
the commands go to it by themselves, as the README says they do: the wait is then the command's own
start and one request, the models being the server's, loaded once. Warm runs only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "When was the telegraph cable laid across the Atlantic?"
PAGESIGHT = Path(sys.executable).with_name("pagesight")


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def timed(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(PAGESIGHT), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"pagesight {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", action="store_true", help="time the commands through a running server")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cli.json")
    args = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        env = {**os.environ, "PAGESIGHT_DATA_DIR": str(data), "PAGESIGHT_PROFILE": "lite",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
        if args.data is None:
            subprocess.run([str(PAGESIGHT), "sample", f"{tmp}/sample.pdf"], env=env, check=True, capture_output=True)
            subprocess.run([str(PAGESIGHT), "ingest", f"{tmp}/sample.pdf"], env=env, check=True, capture_output=True)
        commands = {"search": ["search", QUESTION], "ask": ["ask", QUESTION],
                    "documents list": ["documents", "list"]}
        if args.server:
            from common import serve

            server, _ = serve(data, api_keys="bench-key-0123456789")
        rows = []
        for name, command in commands.items():
            cold = []
            for _ in range(0 if args.server else args.runs):
                if not drop_caches():
                    break
                cold.append(timed(command, env))
            timed(command, env)  # warm the page cache
            warm = [timed(command, env) for _ in range(args.runs)]
            rows.append({"command": f"pagesight {name}", "cold_s": statistics.median(cold) if cold else None,
                         "warm_s": statistics.median(warm), "runs": args.runs})
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    machine = machine_name()
    where = "through a running server" if args.server else "in the command's own process"
    print(f"command-line wall time, lite profile, {where}, median of {args.runs} runs ({machine})")
    print(f"{'command':<26} {'cold s':>7} {'warm s':>7}")
    for r in rows:
        cold = f"{r['cold_s']:.2f}" if r["cold_s"] is not None else "-"
        print(f"{r['command']:<26} {cold:>7} {r['warm_s']:>7.2f}")
    write_results(args.out, machine, {"collection": str(args.data or "the sample document"), "server": args.server,
                                      "rows": rows})


if __name__ == "__main__":
    main()
