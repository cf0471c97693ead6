"""`python -m benchmarks.quota`: see benchmarks/quota/README.md."""

import sys

from benchmarks.quota.runner import main

sys.exit(main())
