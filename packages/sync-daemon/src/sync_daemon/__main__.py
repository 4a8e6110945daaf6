"""``python -m sync_daemon serve ...``: run the sync service in the foreground."""

import sys

from sync_daemon._sync import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
