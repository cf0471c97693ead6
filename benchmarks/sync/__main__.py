"""`python -m benchmarks.sync` runs the sync benchmark (see runner.py)."""

from benchmarks.sync.runner import main

if __name__ == "__main__":
    main()
