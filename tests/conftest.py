"""Settings shared by the whole test suite.

Property tests draw the same examples on every run. A property test that draws
new ones each time can fail on one run and pass on the next, which blocks
every change after it: ``derandomize`` seeds Hypothesis from the test itself,
and without a database no failure saved by an earlier run is replayed. No
deadline: a wall-clock limit fails on a loaded machine, not on a wrong result.
Each property test module sets only its own number of examples and health
checks on top of this profile. Explore new examples locally with a profile of
your own, e.g. ``settings(derandomize=False)`` in a scratch copy.
"""

from hypothesis import settings

settings.register_profile(
    "reproducible", derandomize=True, database=None, deadline=None, print_blob=True
)
settings.load_profile("reproducible")
