"""`app.run()` — how seeds 000 and 003 serve their Flask apps: Werkzeug's development server,
one process, a thread per request (threaded=True is the default since Flask 1.0).

Usage: python -m targets.common.app_run module:attribute PORT
"""

import importlib
import sys


def main(app_path: str, port: int) -> None:
    module, _, attr = app_path.partition(":")
    app = getattr(importlib.import_module(module), attr)
    app.run(host="127.0.0.1", port=port)  # the seed's call; only the address is given


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
