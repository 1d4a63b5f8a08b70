"""Tests of sknnscratch.cli, one module per module of the package.

A package, so that its test modules are imported as ``cli.test_*`` and
cannot collide with a same-named test module elsewhere under tests/.
"""
