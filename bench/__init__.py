"""Benchmarks for itg (not tests): each figure is printed beside a baseline from the same run.

Run `make bench` (all figures) or `python -m bench accept|apply|monitor|memory|scale|backlog|
fairness|startup`; `--markdown` prints the summary as the README's table, `--targets` the
SPEC 6.1 table every figure is judged by (bench/targets.py). Nothing here asserts a speed: a
slow or busy machine prints smaller numbers, and the ratio to the baseline is what SPEC 6.1
sets targets on. What is checked is that the work timed really happened; if not, the figure
is reported broken, without a number.
"""
