"""`just mutate [MODULE] [--resume]`: Cosmic Ray over one critical module (or each in turn), in a private copy.

Cosmic Ray writes each mutant into the module's file on disk and runs the tests as a new process, so the server
subprocesses those tests start (`python -m backend.launcher.serve`, its uvicorn worker) import the mutant too. It
does that in a copy of the work tree (var/mutation/<module>/tree), never in the tree you edit: a run that is
interrupted leaves no mutant behind. The tests run from the copy (PYTHONPATH, working directory), with this work
tree's virtualenv and web app build.

Each module's summary goes to var/mutation/<module>/summary.md, every survivor with its diff; docs/mutation.md is
the committed report."""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tools.mutation.equivalents import EQUIVALENT
from tools.mutation.targets import TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "mutation"

# Mutations worth a test run: the ones a slip of the hand makes. Cosmic Ray's full set replaces every binary
# operator by each of the eleven others and every comparison by each of the seven others; those add hundreds of
# mutants that say nothing a near neighbour does not (`a + b` -> `a ** b` after `a + b` -> `a - b`).
KEPT_BINARY = {"Add_Sub", "Sub_Add", "Mul_Div", "Div_Mul", "FloorDiv_Div", "Mod_FloorDiv", "Pow_Mul",
               "LShift_RShift", "RShift_LShift", "BitAnd_BitOr", "BitOr_BitAnd", "BitXor_BitOr"}
KEPT_COMPARISON = {"Eq_NotEq", "NotEq_Eq", "Lt_LtE", "LtE_Lt", "Gt_GtE", "GtE_Gt", "Is_IsNot", "IsNot_Is"}
KEPT_UNARY = {"Delete_Not", "USub_UAdd"}
# Replaces a name by a random other one / inserts random names / drops a decorator: mostly mutants that cannot
# import, which the first test kills without saying anything about the tests.
DROPPED = {"core/VariableReplacer", "core/VariableInserter", "core/RemoveDecorator"}


def kept(operator: str) -> bool:
    if operator in DROPPED:
        return False
    for prefix, allowed in (("core/ReplaceBinaryOperator_", KEPT_BINARY),
                            ("core/ReplaceComparisonOperator_", KEPT_COMPARISON),
                            ("core/ReplaceUnaryOperator_", KEPT_UNARY)):
        if operator.startswith(prefix):
            return operator.removeprefix(prefix) in allowed
    return True


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's type annotations are: `x: int | None` mutated to `x: int & None` changes nothing that
    runs (`from __future__ import annotations`), so such mutants are not made."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            annotations += [args.vararg and args.vararg.annotation, args.kwarg and args.kwarg.annotation, node.returns]
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        for annotation in annotations:
            if annotation is not None and annotation.end_lineno is not None and annotation.end_col_offset is not None:
                spans.append(((annotation.lineno, annotation.col_offset),
                              (annotation.end_lineno, annotation.end_col_offset)))
    return spans


def scope_spans(source: str, names: tuple[str, ...]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the named functions and methods ("Class.method") of a module are, whole module when none are named."""
    if not names:
        return [((0, 0), (10**9, 0))]
    spans = []
    tree = ast.parse(source)
    for node in tree.body:
        members = node.body if isinstance(node, ast.ClassDef) else []
        for member in [node, *members]:
            if not isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            name = member.name if member is node else f"{node.name}.{member.name}"  # type: ignore[attr-defined]
            if name in names and member.end_lineno is not None:
                spans.append(((member.lineno, 0), (member.end_lineno + 1, 0)))
    return spans


def copy_tree(tree: Path) -> None:
    """The work tree's files as they are now (tracked and new, not ignored) under `tree`; the web app (its build
    and dependencies) and the virtualenv are linked, not copied."""
    if tree.exists():
        shutil.rmtree(tree)
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if name.startswith("frontend/"):
            continue
        source = ROOT / name
        if not source.is_file():
            continue
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    # The commit the copy was made from (and whether the tree had changes not committed yet), for the report.
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    (tree.parent / "commit").write_text(head.strip() + (" + changes" if dirty else ""))
    (tree / "frontend").symlink_to(ROOT / "frontend")
    (tree / ".venv").symlink_to(ROOT / ".venv")  # the justfile's recipes (`just verify-draw`) run .venv/bin/python


def test_command(target: Target) -> str:
    python = ROOT / ".venv" / "bin" / "python"
    return shlex.join(["nice", "-n", "5", str(python), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                       "--timeout", "300", *target.tests])


def write_config(path: Path, target: Target, timeout: float) -> None:
    modules = ", ".join(f'"{source}"' for source in target.sources)
    path.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {test_command(target)!r}\n"
        "\n[cosmic-ray.distributor]\nname = \"local\"\n"
    )


def baseline(name: str, target: Target, tree: Path) -> float:
    """The tests without any mutant, which must pass; how long they took."""
    for attempt in (1, 2):  # a second try: a server test can miss its patience once on a loaded machine
        started = time.monotonic()
        run = subprocess.run(shlex.split(test_command(target)), cwd=tree, env=environment(tree),
                             capture_output=True, text=True)
        took = time.monotonic() - started
        if run.returncode == 0:
            break
        print(f"{name}: baseline try {attempt} failed:\n{run.stdout[-1500:]}", flush=True)
    else:
        sys.exit(f"{name}: the tests fail without any mutant; fix them first")
    print(f"{name}: baseline passed in {took:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    return took


def prepare(name: str, target: Target) -> tuple[Path, Path]:
    """A fresh copy, a baseline run (which must pass: it also sets the timeout), the session with its mutants."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    base = WORK / name
    tree = base / "tree"
    copy_tree(tree)
    (base / "shape").write_text(shape(target, tree))
    took = baseline(name, target, tree)
    config = base / "cosmic-ray.toml"
    # A mutant that hangs a test (a loop that never ends, a lock never released) is ended and counted apart.
    write_config(config, target, timeout=max(60.0, 3 * took))
    session = base / "session.sqlite"
    session.unlink(missing_ok=True)
    subprocess.run([str(ROOT / ".venv" / "bin" / "cosmic-ray"), "init", str(config), str(session)], cwd=tree,
                   check=True)
    skipped = WorkResult(worker_outcome=WorkerOutcome.SKIPPED)
    spans = {source: annotation_spans((tree / source).read_text()) for source in target.sources}
    scopes = {source: scope_spans((tree / source).read_text(), target.scope) for source in target.sources}
    lines = {source: (tree / source).read_text().splitlines() for source in target.sources}
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.work_items):
            mutation = item.mutations[0]
            source = str(mutation.module_path)
            start = tuple(mutation.start_pos)
            line = lines[source][start[0] - 1]
            if (not kept(mutation.operator_name) or "pragma: no mutate" in line
                    or any(first <= start < last for first, last in spans[source])
                    or not any(first <= start < last for first, last in scopes[source])):
                db.set_result(item.job_id, skipped)
    return tree, session


def shape(target: Target, root: Path) -> str:
    """A digest of the sources' syntax trees with every node's position (comments are not in them): a session's
    mutants are places in these trees, valid while this stays the same."""
    trees = [ast.dump(ast.parse((root / source).read_text()), include_attributes=True) for source in target.sources]
    return hashlib.sha256("\n".join(trees).encode()).hexdigest()


def retest(name: str, target: Target) -> tuple[Path, Path]:
    """After tests were added: a fresh copy of the tree (the same sources, the new tests), and the survivors of
    the last session pending again, with the rest of its pending mutants. Refused when the module itself changed
    since the session was made: its mutants would be written at the old places."""
    import sqlite3

    base = WORK / name
    made_for = base / "shape"
    if made_for.exists() and made_for.read_text() != shape(target, ROOT):
        sys.exit(f"{name}: the module changed since its session was made; run `just mutate {name}` anew")
    tree, session, config = base / "tree", base / "session.sqlite", base / "cosmic-ray.toml"
    copy_tree(tree)
    write_config(config, target, timeout=max(60.0, 3 * baseline(name, target, tree)))
    with sqlite3.connect(session) as db:
        again = db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'").rowcount
    print(f"{name}: {again} survivors to test again", flush=True)
    return tree, session


def environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def execute(tree: Path, session: Path) -> None:
    config = session.parent / "cosmic-ray.toml"
    subprocess.run([str(ROOT / ".venv" / "bin" / "cosmic-ray"), "exec", str(config), str(session)], cwd=tree,
                   env=environment(tree), check=True)


def equivalent_reason(source: str, operator: str, line: str) -> str | None:
    return EQUIVALENT.get((source, operator, line.strip()))


def summarize(name: str, target: Target, tree: Path, session: Path) -> dict[str, int]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts: Counter[str] = Counter()
    survivors: list[str] = []
    lines = {source: (tree / source).read_text().splitlines() for source in target.sources}
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = sum(1 for _ in db.pending_work_items)
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            mutation = item.mutations[0]
            source = str(mutation.module_path)
            line = lines[source][mutation.start_pos[0] - 1]
            if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome == TestOutcome.INCOMPETENT:
                counts["incompetent"] += 1
            elif result.test_outcome == TestOutcome.KILLED:
                counts["timeout" if result.output == "timeout" else "killed"] += 1
            elif (reason := equivalent_reason(source, mutation.operator_name, line)) is not None:
                counts["equivalent"] += 1
                survivors.append(f"### equivalent: {source}:{mutation.start_pos[0]} {mutation.operator_name}\n"
                                 f"{reason}\n\n```diff\n{result.diff}\n```\n")
            else:
                counts["survived"] += 1
                survivors.append(f"### SURVIVED: {source}:{mutation.start_pos[0]} {mutation.operator_name}\n"
                                 f"`{line.strip()}`\n\n```diff\n{result.diff}\n```\n")
    counts["pending"] = pending
    real = counts["killed"] + counts["timeout"] + counts["survived"]
    rate = 100.0 * (counts["killed"] + counts["timeout"]) / real if real else 100.0
    commit = (session.parent / "commit").read_text() if (session.parent / "commit").exists() else "?"
    row = (f"| {name} | {counts['killed']} | {counts['timeout']} | {counts['survived']} | {counts['equivalent']} | "
           f"{counts['incompetent']} | {rate:.1f} % | {datetime.now(UTC):%Y-%m-%d} | {commit} |")
    scope = f" (only {', '.join(target.scope)})" if target.scope else ""
    text = (f"# {name}\n\n{', '.join(target.sources)}{scope}\n\n`{test_command(target)}`\n\n"
            "| module | killed | timed out | survived | equivalent | incompetent | killed of non-equivalent | date "
            "| commit |\n|---|---|---|---|---|---|---|---|---|\n"
            f"{row}\n\n" + (f"pending: {pending}\n\n" if pending else "") + "\n".join(survivors))
    (session.parent / "summary.md").write_text(text)
    print(row, flush=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="just mutate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", nargs="?", choices=sorted(TARGETS), help="one critical module (default: each)")
    parser.add_argument("--resume", action="store_true", help="go on with the last session's pending mutants")
    parser.add_argument("--retest", action="store_true",
                        help="go on with the last session, its survivors again, against the tests as they are now")
    parser.add_argument("--report", action="store_true", help="only summarize the last session")
    args = parser.parse_args()
    for name in [args.module] if args.module else list(TARGETS):
        target = TARGETS[name]
        base = WORK / name
        if args.retest:
            tree, session = retest(name, target)
        elif args.resume or args.report:
            tree, session = base / "tree", base / "session.sqlite"
        else:
            tree, session = prepare(name, target)
        if not args.report:
            execute(tree, session)
        summarize(name, target, tree, session)
        print(f"survivors and their diffs: {(base / 'summary.md').relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
