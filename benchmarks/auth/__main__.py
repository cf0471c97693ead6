"""`python -m benchmarks.auth`: the auth benchmark (see benchmarks/auth/README.md)."""

import sys

from benchmarks.auth.runner import main

sys.exit(main())
