#!/usr/bin/python3
"""The explorer's cross-kernel section of results/compat/ (explorer/crosskernel.py):
    explore/compat.py --runs results/runs/<release> ...   (vm/matrix.py --explore runs it)"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from explorer import crosskernel  # noqa: E402

if __name__ == "__main__":
    crosskernel.main()
