"""upbench's locustfile: `locust -f loadtests/locustfile.py --host http://127.0.0.1:PORT`.

The same file serves `bench.py run` (headless, one subprocess per load level), `bench.py ui`
and plain `locust -f`. Scenarios live in loadtests/scenarios.py; see loadtests/catalog.py.
"""

import sys
from pathlib import Path

try:
    import loadtests  # noqa: F401  (installed with `pip install -e .`)
except ImportError:  # run from a plain checkout: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests import webui_tab  # noqa: F401  (the upbench tab of the web UI)
from loadtests.scenarios import (  # noqa: F401
    BystanderUser,
    OversizeUser,
    RetryUploadUser,
    SlowUploadUser,
    TusUploadUser,
    UploadUser,
)
