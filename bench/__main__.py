"""``python -m bench [all|sweep|deliver|import] [--smoke] [options]``: run benchmarks.

``all`` (the default) runs the sweep, delivery, ledger-import and summary benchmarks in turn.
"""

from __future__ import annotations

import sys

from bench import deliver, import_ledger, summary, sweep

SCRIPTS = {"sweep": sweep.main, "deliver": deliver.main, "import": import_ledger.main,
           "summary": summary.main}


def main(argv: list[str]) -> int:
    name = argv[0] if argv and not argv[0].startswith("-") else "all"
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    if name not in (*SCRIPTS, "all"):
        print(f"usage: python -m bench [all|{'|'.join(SCRIPTS)}] [--smoke] [options]", file=sys.stderr)
        return 2
    for script in SCRIPTS if name == "all" else [name]:
        status = SCRIPTS[script](rest)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
