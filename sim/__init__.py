"""Scenario-driven agent-based model of interceptor drones defending energy sites."""
__version__ = "0.1.0"
