"""Shim so that `python cli.py ...` works from a checkout; the app lives in edukit/cli.py."""

from edukit.cli import main

if __name__ == "__main__":
    main()
