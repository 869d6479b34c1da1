"""``python -m examhall_client`` = ``examhall-client``."""

import sys

from examhall_client.cli import main

sys.exit(main())
