"""Regenerate brain/identity/data/common_passwords.txt from the password frequency list bundled
with the `zxcvbn` package (MIT licence): the most frequent entries, lower-cased, one a line.

    .venv/bin/python scripts/build_common_passwords.py            # default: 10,000 entries
    .venv/bin/python scripts/build_common_passwords.py --count 20000
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

TARGET = Path(__file__).resolve().parent.parent / "brain" / "identity" / "data" / (
    "common_passwords.txt"
)

HEADER = """\
# Common passwords refused by Brain's password policy (brain/identity/password_policy.py).
#
# Provenance: the {count} most frequent entries of the "passwords" frequency list bundled
# with the Python package zxcvbn {zxcvbn_version} (https://github.com/dwolfhub/zxcvbn-python,
# a port of Dropbox's zxcvbn, https://github.com/dropbox/zxcvbn), in frequency order,
# lower-cased and de-duplicated.
# Licence: MIT (zxcvbn: Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.; the Python
# port: Copyright (c) 2016 Daniel Wolf). The MIT licence permits redistribution of this data.
# Regenerate with: .venv/bin/python scripts/build_common_passwords.py --count {count}
# Lines starting with '#' are comments.
"""


def common_passwords(count: int) -> list[str]:
    """The `count` most frequent passwords, lower-cased, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for password in FREQUENCY_LISTS["passwords"]:
        entry = password.strip().lower()
        if entry and not entry.startswith("#"):
            seen.setdefault(entry, None)
        if len(seen) >= count:
            break
    return list(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    entries = common_passwords(args.count)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    header = HEADER.format(count=len(entries), zxcvbn_version=version("zxcvbn"))
    args.output.write_text(header + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} passwords to {args.output}")


if __name__ == "__main__":
    main()
