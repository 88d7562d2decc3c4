"""System tests reuse the unit fakes (static screen, recording driver) around real subsystems."""

from tests.unit.conftest import make_agent

__all__ = ["make_agent"]
