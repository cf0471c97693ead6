"""`python -m benchmarks.webhooks`: inbound webhook acknowledgements/s and latency."""

import sys

from benchmarks.webhooks.runner import main

sys.exit(main())
