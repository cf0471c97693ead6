"""Write docs/permissions.md (the route and role matrix) from the code.

    .venv/bin/python scripts/generate_permissions_doc.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.organizations.permissions_doc import write_permissions_doc


def main() -> None:
    path = write_permissions_doc()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
