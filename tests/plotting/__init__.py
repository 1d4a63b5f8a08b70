"""Tests of sknnscratch.plotting, one module per module of the package.

A package, so that its test modules are imported as ``plotting.test_*`` and
cannot collide with a same-named test module elsewhere under tests/ (e.g.
``nn/test_network.py``).
"""
