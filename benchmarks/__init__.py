"""`make bench`: cstassist's speed at scale, side by side with the plain LangChain stack.

Run ``python -m benchmarks.run --help`` from the repository root; see benchmarks/README.md.
"""
