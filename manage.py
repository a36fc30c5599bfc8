#!/usr/bin/env python
"""Django's command-line utility; `gezhi` is the same command, installed as a console script."""

from gezhi.cli import main

if __name__ == "__main__":
    main()
