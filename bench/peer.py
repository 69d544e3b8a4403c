"""Paired benchmark: `sentinel replay` against the plain ultralytics track loop, both as whole processes.

What a user feels is the wall time of the command, start-up and shutdown included, so each arm is a fresh
process: the replay (embedded broker, worker, model, tracker, rules, Redis) and a plain
`YOLO(model).track(clip, stream=True)` loop on the same model and clip. Runs alternate (A B A B ...) so that
the load of a shared machine falls on both, and the table shows medians of wall and CPU (user + sys of the
process and its children, the broker included).

It also times a replay's fixed cost: `sentinel replay-tracks` of a 5-frame recording. With --baseline REV the
same commands run from a `git archive` of REV too, so one run prints before and after.

    .venv/bin/python -m bench.peer [--rounds 3] [--baseline REV] [--clip PATH] [--fps 30]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import redis
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"
VIRAT = SHARED / "tracks" / "VIRAT_S_050301_03_000933_001046.viratdata.objects.txt"
REDIS_URL = "redis://127.0.0.1:6379/0"
CLASSES = [0, 2, 3, 5, 7]  # person, car, motorcycle, bus, truck: the classes the pipeline keeps


@dataclass
class Arm:
    name: str
    command: Callable[[Path], list[str]]  # given a fresh site config, the argv to run
    cwd: Path = ROOT
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def run_once(arm: Arm, workdir: Path) -> None:
    """One whole process; its wall time and the CPU of it and its children (os.wait4 of the process)."""
    prefix = f"peer-{uuid.uuid4().hex[:8]}:"
    config = workdir / f"{prefix[:-1]}.yaml"
    site = {
        "site_id": "peer",
        "redis": {"url": REDIS_URL, "key_prefix": prefix},
        "detector": {"model": {"path": str(MODEL)}},
    }
    config.write_text(yaml.safe_dump(site))
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(arm.cwd)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        arm.command(config), cwd=arm.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{arm.name} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    arm.walls.append(wall)
    arm.cpus.append(usage.ru_utime + usage.ru_stime)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def sentinel(code: Path, *args: str) -> Callable[[Path], list[str]]:
    """The CLI of the checkout at `code` (its own modules first on the path), as `sentinel ARGS --config C`."""
    launcher = "import sys; sys.path.insert(0, sys.argv.pop(1)); from streams.cli.main import main; main()"
    return lambda config: [sys.executable, "-c", launcher, str(code), *args, "--config", str(config)]


def baseline_tree(rev: str, into: Path) -> Path:
    """The project as of `rev`, unpacked (the site config names the model, so it needs no ../shared)."""
    tree = into / f"baseline-{rev}"
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def five_frames(workdir: Path) -> Path:
    """A 5-frame track recording (the VIRAT ground truth through the importer): the fixed cost of a replay."""
    command = [
        sys.executable,
        "-c",
        "from streams.cli.main import main; main()",
        "import",
        "virat",
        str(VIRAT),
        "--camera-id",
        "peer-5",
    ]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, check=True).stdout.decode()
    path = workdir / "five.jsonl"
    path.write_text("".join(line + "\n" for line in out.splitlines()[:5]))
    return path


def track_loop(clip: str, model: str) -> None:
    """The plain ultralytics loop a user would write: decode, track (ByteTrack), next frame."""
    from ultralytics import YOLO  # noqa: PLC0415 - only this arm's process loads ultralytics

    frames = 0
    for _ in YOLO(model, task="detect").track(
        source=clip, stream=True, tracker="bytetrack.yaml", classes=CLASSES, verbose=False, persist=True
    ):
        frames += 1
    print(frames)


def table(arms: list[Arm], reference: Arm) -> str:
    rows = [f"{'arm':<28} {'wall s':>8} {'CPU s':>8} {'wall/ref':>9} {'CPU/ref':>8}  runs"]
    ref_wall, ref_cpu = statistics.median(reference.walls), statistics.median(reference.cpus)
    for arm in arms:
        wall, cpu = statistics.median(arm.walls), statistics.median(arm.cpus)
        rows.append(
            f"{arm.name:<28} {wall:>8.2f} {cpu:>8.2f} {wall / ref_wall:>9.2f} {cpu / ref_cpu:>8.2f}  {len(arm.walls)}"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=SHARED / "clips" / "street_people_1080p.mp4")
    parser.add_argument("--fps", type=float, default=30.0, help="Replay sampling rate (the clip's own rate)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="Also run the commands from this git revision (before/after)")
    parser.add_argument("--skip-video", action="store_true", help="Only the fixed cost (5-frame replay-tracks)")
    parser.add_argument("--loop", nargs=2, metavar=("CLIP", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        track_loop(*args.loop)
        return
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        workdir = Path(tmp)
        trees = {"now": ROOT}
        if args.baseline:
            trees[f"@{args.baseline}"] = baseline_tree(args.baseline, workdir)
        five = five_frames(workdir)
        fixed = [
            Arm(f"replay-tracks 5 frames {tag}", sentinel(code, "replay-tracks", str(five), "--no-progress"), code)
            for tag, code in trees.items()
        ]
        video: list[Arm] = []
        if not args.skip_video:
            loop = [sys.executable, "-m", "bench.peer", "--loop", str(args.clip), str(MODEL)]
            video.append(Arm("ultralytics track loop", lambda _config: loop))
            replay_args = ("replay", str(args.clip), "--camera-id", "peer", "--fps", str(args.fps), "--no-progress")
            video += [Arm(f"sentinel replay {tag}", sentinel(code, *replay_args), code) for tag, code in trees.items()]
        for round_number in range(args.rounds):
            order = fixed + video if round_number % 2 == 0 else list(reversed(fixed + video))
            for arm in order:
                run_once(arm, workdir)
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    print(
        f"# bench.peer {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} CPUs, load now "
        f"{os.getloadavg()[0]:.1f}); medians of {args.rounds} alternating runs, whole processes"
    )
    print(f"\nFixed cost of a replay (5-frame replay-tracks), relative to {fixed[0].name}:")
    print(table(fixed, fixed[0]))
    if video:
        print(f"\n{args.clip.name} at --fps {args.fps:g}, relative to the ultralytics track loop:")
        print(table(video, video[0]))


if __name__ == "__main__":
    main()
