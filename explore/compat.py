#!/usr/bin/python3
"""The explorer's cross-kernel section of results/compat/ (explorer/crosskernel.py):
    explore/compat.py --runs results/runs/<release> ...   (vm/matrix.py --explore runs it)"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(os.path.dirname(HERE), "runner"))  # report.py's atomic writes

from explorer import crosskernel  # noqa: E402

if __name__ == "__main__":
    crosskernel.main()
