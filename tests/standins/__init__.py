"""Local stand-ins for the services harvester talks to, for tests and benchmarks.

Each stand-in is a real HTTP server on loopback in a background thread, so the
code under test goes through its real HTTP stack.
"""
