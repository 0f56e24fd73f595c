"""`python -m bot` is `refbot run`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.argv.append("run")
    main()
