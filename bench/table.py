"""Every row of the agency-scale table (issue 23) in one run: `make bench`.

Each row times our command against its reference on the same data, the two in turn (A B A B
...), BENCH_REPS times after one warm-up each, and prints the medians and the median of the
pairwise ratios; rows without a reference tool print the value against its target. Figures
are whole-process: wall and CPU (user + system, child processes included) and the peak
resident memory of the largest process, from wait4(2).

Sizes come from the environment, so CI can run it small (or not at all):
    BENCH_REPS=3  BENCH_ITEMS=1000  BENCH_EVENTS=100000  BENCH_FILES=2000  BENCH_MIB=1024
    BENCH_LARGE=1   also the 1,000,000-event audit and the 10,000-file ingest (slow to set up)
    BENCH_DIR=/path where to work (one file system for all; default: a temp folder)
    BENCH_ONLY=appends,writers   only these groups of rows (start-up, appends, writers,
                                 ingest, report, audit; default: all); BENCH_MIB=0 leaves
                                 out the 1 GiB ingest and verify rows
Our package is byte-compiled first, as pip compiles an installed wheel: an editable install
under PYTHONDONTWRITEBYTECODE would otherwise compile every module in every timed command.
Usage: make bench   (or .venv/bin/python bench/table.py)
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bigledger  # noqa: E402
from bench_ingest import big_file, png  # noqa: E402
from common import CUSTODY, PASSPHRASE, openssl_verify_rate  # noqa: E402

from evidence.cases import create_case  # noqa: E402
from evidence.custody import append_events, receive, transfer  # noqa: E402
from evidence.ingest import IngestOptions, ingest  # noqa: E402
from evidence.items import list_items  # noqa: E402
from evidence.workspace import AuthoritySetup, Workspace  # noqa: E402
from tests import pgcluster  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "3"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "1000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
FILES = int(os.environ.get("BENCH_FILES", "2000"))
MIB = int(os.environ.get("BENCH_MIB", "1024"))
LARGE = os.environ.get("BENCH_LARGE") == "1"
GROUPS = ("start-up", "appends", "writers", "ingest", "report", "audit")
ONLY = [g.strip() for g in os.environ.get("BENCH_ONLY", ",".join(GROUPS)).split(",") if g.strip()]
CASE = "BENCH-1"
REQUEST = [
    *("--request-ref", "No. 12/4-2026", "--legal-basis", "Minsk Convention 1993"),
    *("--requesting-authority", "Prosecutor General's Office of the Republic of Belarus"),
    *("--requested-state", "RU", "--addressee", "Prosecutor General's Office of the RF"),
]


@dataclass
class Run:
    """One finished process: wall and CPU seconds, peak resident MiB."""

    wall: float
    cpu: float
    peak: float


def measure(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
) -> Run:
    """Run cmd to the end (it must exit with a code in ok); its whole-process figures.

    CPU and peak memory come from /usr/bin/time when it is installed: a child's ru_maxrss
    from wait4 starts at this process's own resident size at the fork (Linux keeps the memory
    high-water mark across exec), so a command run from a benchmark that has built a
    workspace in memory would report at least that. /usr/bin/time is small, so its child's
    figures are the command's own."""
    timed = Path("/usr/bin/time")
    report = None
    if timed.is_file():
        fd, name = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        report = Path(name)
        cmd = [str(timed), "-f", "%U %S %M", "-o", name, *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) not in ok:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({status}): {err[-800:]}")
    if report is not None:
        words = report.read_text().split()[-3:]  # after any "Command exited with ..." line
        report.unlink()
        return Run(wall, float(words[0]) + float(words[1]), int(words[2]) / 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


@dataclass
class Pair:
    """Medians of A and B and of the ratios A/B, pair by pair."""

    a: Run
    b: Run
    wall: float
    cpu: float


def pair(a: Callable[[], Run], b: Callable[[], Run]) -> Pair:
    """A and B in turn, REPS times after one warm-up each."""
    a(), b()
    runs = [(a(), b()) for _ in range(REPS)]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    return Pair(
        Run(*(med([getattr(x, f) for x, _ in runs]) for f in ("wall", "cpu", "peak"))),
        Run(*(med([getattr(y, f) for _, y in runs]) for f in ("wall", "cpu", "peak"))),
        med([x.wall / y.wall if y.wall else float("nan") for x, y in runs]),
        med([x.cpu / y.cpu if y.cpu else float("nan") for x, y in runs]),
    )


ROWS: list[tuple[str, str, str, str, bool]] = []


def row(what: str, ours: str, ratio: str, target: str, met: bool) -> None:
    """Record and print one line of the table."""
    ROWS.append((what, ours, ratio, target, met))
    print(f"| {what} | {ours} | {ratio} | {target} | {'met' if met else 'NOT met'} |", flush=True)


def env_for(root: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CUSTODY_HOME": str(root), "CUSTODY_PASSPHRASE": PASSPHRASE, **extra}


def workspace(root: Path, items: int, ledger: str | None = None, vault: Path | None = None) -> None:
    """A workspace (SQLite, or the PostgreSQL ledger given) with `items` small text items."""
    ws = Workspace.init(
        root, AuthoritySetup("Bench authority", PASSPHRASE), ledger=ledger, vault=vault
    )
    record = ws.keys.create("Bench", "Bench", "BY", "custodian", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    ws.keys.create("Expert", "Bench", "BY", "expert", PASSPHRASE)
    create_case(ws.ledger, CASE, "benchmark", "BY", "", "bench")
    files = root.parent / f"{root.name}-files"
    files.mkdir()
    for n in range(items):
        (files / f"f{n:05d}.txt").write_text(f"evidence {root.name} {n}\n")
    if items:
        ingest(ws, signer, [files], IngestOptions(case=CASE, source="bench"))
    ws.close()


def start_up(base: Path) -> None:
    p = pair(
        lambda: measure([CUSTODY, "--version"]),
        lambda: measure([sys.executable, "-c", "pass"]),
    )
    row(
        "`custody --version` vs `python -c pass` (CPU)",
        f"{p.a.cpu * 1000:.0f} ms",
        f"{p.cpu:.2f}x",
        "<= 3x",
        p.cpu <= 3,
    )
    p = pair(
        lambda: measure([CUSTODY, "--help"]),
        lambda: measure([sys.executable, "-c", "pass"]),
    )
    row(
        "`custody --help` vs `python -c pass` (CPU)",
        f"{p.a.cpu * 1000:.0f} ms",
        f"{p.cpu:.2f}x",
        "<= 3x",
        p.cpu <= 3,
    )


def appends(base: Path, cluster: pgcluster.Cluster) -> None:
    base_cmd = [CUSTODY, "event", "--action", "accessed", "--as", "Bench", "-q"]
    for kind in ("SQLite", "PostgreSQL"):
        root = base / f"appends-{kind}"
        extra: dict[str, str] = {}
        if kind == "PostgreSQL":
            admin, _tool = cluster.new_database("appends")
            workspace(root, ITEMS, ledger=admin, vault=base / "appends-vault")
            extra = {"CUSTODY_LEDGER": admin, "CUSTODY_VAULT": str(base / "appends-vault")}
        else:
            workspace(root, ITEMS)
        env = env_for(root, **extra)
        one = [i.item_id for i in _items(root, extra)][:1]
        p = pair(
            lambda env=env: measure([*base_cmd, "--case", CASE, "--all"], env),
            lambda env=env, one=one: measure([*base_cmd, *one], env),
        )
        rate = (ITEMS - 1) / max(p.a.wall - p.b.wall, 1e-6)
        per_cpu = (ITEMS - 1) / max(p.a.cpu - p.b.cpu, 1e-6)
        target = 2000 if kind == "SQLite" else 1500
        row(
            f"appends, one command (`event` on {ITEMS} items), {kind}: events/s beyond the "
            "command's fixed cost (its time on one item)",
            f"{rate:,.0f}/s wall ({per_cpu:,.0f} per client CPU-second)",
            f"{p.a.wall:.2f}s vs {p.b.wall:.2f}s",
            f">= {target:,}/s",
            rate >= target,
        )


def _items(root: Path, extra: dict[str, str]) -> list[object]:
    ws = Workspace.open(
        root,
        ledger=extra.get("CUSTODY_LEDGER"),
        vault=Path(extra["CUSTODY_VAULT"]) if extra else None,
    )
    try:
        return list(list_items(ws.ledger, CASE))
    finally:
        ws.close()


def writers(base: Path, cluster: pgcluster.Cluster, count: int = 8) -> None:
    admin, _tool = cluster.new_database("writers")
    root, vault = base / "writers", base / "writers-vault"
    workspace(root, ITEMS, ledger=admin, vault=vault)
    extra = {"CUSTODY_LEDGER": admin, "CUSTODY_VAULT": str(vault)}
    ids = [i.item_id for i in _items(root, extra)]  # type: ignore[attr-defined]
    rounds = 8
    files = []
    for w in range(count):
        mine = ids[w::count]
        path = base / f"writer-{w}.csv"
        path.write_text(
            "item,action,note\n"
            + "".join(f"{i},accessed,round {r}\n" for r in range(rounds) for i in mine)
        )
        files.append(path)
    total = rounds * len(ids)
    env = env_for(root, **extra)
    rates = []
    for _ in range(REPS):
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [CUSTODY, "event", "--from", str(f), "--as", "Bench", "-q"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for f in files
        ]
        if any(p.wait() for p in procs):
            raise SystemExit("a writer failed")
        rates.append(total / (time.perf_counter() - start))
    rate = statistics.median(rates)
    row(
        f"appends, PostgreSQL, {count} writers at once (`event --from`, {total} events, "
        "start-up included)",
        f"{rate:,.0f}/s",
        "-",
        ">= 3,000/s",
        rate >= 3000,
    )


def openssl_verify_us() -> Run:
    """`openssl speed ecdsap256` on one core; its verify time per operation as Run.cpu (µs)."""
    return Run(0.0, 1e6 / openssl_verify_rate(seconds=2), 0.0)


def audits(base: Path) -> None:
    sizes = [EVENTS] + ([1_000_000] if LARGE and EVENTS != 1_000_000 else [])
    for events in sizes:
        root = base / f"audit-{events}"
        # bench/bigledger.py: the same bytes the library writes, signed on every core, cached
        bigledger.build(root, events, ITEMS)
        env = env_for(root)
        p = pair(lambda env=env: measure([CUSTODY, "audit", "--quiet"], env), openssl_verify_us)
        per_event = p.a.cpu / events * 1e6
        ratio = p.b.cpu / per_event
        row(
            f"audit of {events:,} events, CPU per event vs `openssl speed ecdsap256` verify "
            "(one core)",
            f"{per_event:.0f} µs",
            f"{ratio:.2f}x",
            ">= 0.8x",
            ratio >= 0.8,
        )
        row(
            f"audit of {events:,} events, peak memory (largest process)",
            f"{p.a.peak:.0f} MiB",
            "-",
            "<= 150 MiB",
            p.a.peak <= 150,
        )
        shutil.rmtree(root)


def fresh(template: Path, target: Path, cmd: list[str], env: dict[str, str]) -> Run:
    """cmd on a fresh copy of a template workspace (the copy is not timed)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, symlinks=True)
    return measure(cmd, env)


def ingests(base: Path) -> None:
    template = base / "ingest-template"
    workspace(template, 0)
    target = base / "ingest-ws"
    env = env_for(target)
    cmd = [CUSTODY, "ingest", "--case", CASE, "--as", "Bench", "--source", "bench", "-q"]
    for files in [FILES] + ([10_000] if LARGE and FILES != 10_000 else []):
        shots = base / f"shots-{files}"
        shots.mkdir()
        for n in range(files):
            (shots / f"Screenshot_{n:05d}.png").write_bytes(png(64, 48, n))
        p = pair(
            lambda shots=shots: fresh(template, target, [*cmd, str(shots)], env),
            lambda shots=shots: measure(["exiftool", "-j", "-r", "-ext", "*", "-q", str(shots)]),
        )
        row(
            f"ingest of {files:,} PNG screenshots vs `exiftool -j -r -ext '*'` (wall)",
            f"{p.a.wall:.1f}s",
            f"{p.wall:.2f}x",
            "<= 1.0x",
            p.wall <= 1.0,
        )
    if MIB <= 0:
        return  # BENCH_MIB=0: the small-file rows only
    big = base / "big.bin"
    big_file(big, MIB)
    p = pair(
        lambda: fresh(template, target, [*cmd, str(big)], env),
        lambda: measure(["sha256sum", str(big)]),
    )
    row(
        f"ingest of {MIB} MiB vs `sha256sum` (wall)",
        f"{p.a.wall:.1f}s",
        f"{p.wall:.2f}x",
        "<= 0.8x",
        p.wall <= 0.8,
    )
    # A bundle of that file, then verify against the plain tools a recipient has.
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, symlinks=True)
    measure([*cmd, str(big)], env)
    bundle = base / "big-bundle.zip"
    measure([CUSTODY, "bundle", CASE, "-o", str(bundle), "--as", "Bench", "--quiet", *REQUEST], env)
    bag_parent = base / "big-bag"
    subprocess.run(["unzip", "-q", str(bundle), "-d", str(bag_parent)], check=True)
    bag = next(bag_parent.iterdir())
    verify = [CUSTODY, "verify", str(bundle), "--quiet"]
    # Exit 4: intact, signer not established (no anchor given): the whole check was made.
    p = pair(
        lambda: measure(verify, env, ok=(0, 4)),
        lambda: measure(["sha256sum", "-c", "--quiet", "manifest-sha256.txt"], cwd=bag),
    )
    row(
        f"verify of a {MIB} MiB bundle vs `sha256sum -c` (wall)",
        f"{p.a.wall:.1f}s",
        f"{p.wall:.2f}x",
        "<= 0.4x",
        p.wall <= 0.4,
    )
    bagit = str(Path(sys.executable).parent / "bagit.py")
    p = pair(
        lambda: measure(verify, env, ok=(0, 4)),
        lambda: measure([bagit, "--validate", "--processes", "2", str(bag)]),
    )
    row(
        f"verify of a {MIB} MiB bundle vs `bagit.py --validate -p 2` (wall)",
        f"{p.a.wall:.1f}s",
        f"{p.wall:.2f}x",
        "<= 0.7x",
        p.wall <= 0.7,
    )


def reports(base: Path) -> None:
    root = base / "report"
    workspace(root, ITEMS)
    ws = Workspace.open(root)
    bench = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    expert = ws.keys.unlock(ws.keys.resolve("Expert"), PASSPHRASE)
    all_items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, bench, all_items, expert.record, location="Minsk")
    receive(ws.ledger, expert, all_items, location="Minsk")
    for _ in range(8):
        append_events(ws.ledger, expert, all_items, "analysed", purpose="examination")
    events = ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    ws.close()
    env = env_for(root)
    runs = [
        measure([CUSTODY, "report", CASE, "-o", str(base / "report.pdf")], env) for _ in range(REPS)
    ]
    wall = statistics.median(r.wall for r in runs)
    peak = max(r.peak for r in runs)
    row(
        f"custody report, {ITEMS:,} items / {events:,} events",
        f"{wall:.1f}s, {peak:.0f} MiB",
        "-",
        "<= 5 s, <= 150 MiB",
        wall <= 5 and peak <= 150,
    )


def main() -> None:
    unknown = sorted(set(ONLY) - set(GROUPS))
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown {', '.join(unknown)} (known: {', '.join(GROUPS)})")
    for package in ("evidence", "cli"):
        compileall.compile_dir(HERE.parent / package, quiet=1)
    base = Path(tempfile.mkdtemp(prefix="bench-table-", dir=os.environ.get("BENCH_DIR")))
    base.chmod(0o755)  # the cluster's unprivileged user must reach its folder inside
    cpu = os.cpu_count()
    print(
        f"machine: {cpu} cores, {os.uname().machine}, {os.uname().release}; "
        f"{REPS} pairs per row, medians; sizes: items {ITEMS}, events {EVENTS}, "
        f"files {FILES}, {MIB} MiB{' (+ large)' if LARGE else ''}; rows: {', '.join(ONLY)}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| what | ours | ratio (A/B, median) | target | |")
    print("|---|---|---|---|---|")
    cluster = pgcluster.create(base / "pg", durable=True)
    try:
        steps: dict[str, Callable[[], None]] = {
            "start-up": lambda: start_up(base),
            "appends": lambda: appends(base, cluster),
            "writers": lambda: writers(base, cluster),
            "ingest": lambda: ingests(base),
            "report": lambda: reports(base),
            "audit": lambda: audits(base),
        }
        for name in GROUPS:
            if name in ONLY:
                steps[name]()
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)
    missed = [r[0] for r in ROWS if not r[4]]
    print(f"{len(ROWS) - len(missed)} of {len(ROWS)} targets met")


if __name__ == "__main__":
    main()
