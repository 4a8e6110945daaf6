"""``python -m sync_daemon serve ...``: run the sync service in the foreground."""

import sys

from sync_daemon._daemon import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
