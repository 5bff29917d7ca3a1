#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 - after DJANGO_SETTINGS_MODULE is set, as Django generates it

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
