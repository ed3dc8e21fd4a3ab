#!/usr/bin/env python3
"""upbench command line: `python bench.py --help`."""
import sys

from upbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
