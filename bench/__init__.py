"""Benchmarks for itg (not tests): each figure is printed beside a baseline from the same run.

Run `make bench` (all figures) or `python -m bench accept|apply|monitor|memory`. Nothing here
asserts: a slow or busy machine prints smaller numbers, and the ratio to the baseline is what
SPEC 6.1 sets targets on.
"""
