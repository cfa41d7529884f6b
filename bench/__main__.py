"""`python -m bench [seed ...]`: run the named benchmarks (default: all)."""
import importlib
import sys

BENCHMARKS = ["seed", "pledging", "matching", "map", "dashboard", "load"]


def main(argv):
    """Run each benchmark's main()."""
    for name in argv or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
