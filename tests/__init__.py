"""The test suite (a package, so that tests import shared helpers as tests.*)."""

import sys

# Compiled code is cached in __pycache__ as Python does by default, even where the environment
# sets PYTHONDONTWRITEBYTECODE: without it each test process rewrites and compiles every test
# module again (~5 CPU-s each), and the hundreds of CLI processes the tests start (which
# inherit the variable, so they only read the cache) compile the modules they import each time.
sys.dont_write_bytecode = False
