"""``python -m caliper_contract``: the same as the ``caliper-contract`` command."""

import sys

from caliper_contract.cli import main

sys.exit(main())
