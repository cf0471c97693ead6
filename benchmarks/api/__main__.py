"""`python -m benchmarks.api`: the reproducible API benchmark (see benchmarks/README.md)."""

import sys

from benchmarks.api.runner import main

sys.exit(main())
