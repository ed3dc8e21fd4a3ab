"""`python -m upbench`: the same command line as `python bench.py`."""
import sys

from upbench.cli import main

sys.exit(main())
